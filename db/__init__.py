"""The call log: SQLAlchemy 2.x models, engine and session handling, writes and queries.

Knows nothing of Flask or of the call flow; callers pass plain values in.
"""
