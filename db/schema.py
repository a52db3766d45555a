"""The whole database's metadata: importing this registers every table.

One metadata (and one Alembic history) covers the call log, the console's users
and audit log, recordings at rest, the daily report deliveries and the tallies.
"""

from __future__ import annotations

from db import access_models, models, recording_models, report_models, tally_models, user_models
from db.base import Base

metadata = Base.metadata

__all__ = ["access_models", "metadata", "models", "recording_models", "report_models",
           "tally_models", "user_models"]
