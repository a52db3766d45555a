"""The call log: SQLAlchemy 2.x models, engine and session handling, writes and queries.

Knows nothing of Flask or of the call flow; callers pass plain values in. Importing
any part of it registers every table (db/schema.py), so that a foreign key to a table
in another model module always resolves.
"""

from db import schema as schema
