"""The durable local journal between the webhooks and the database."""

from journal.store import Entry, Journal, JournalStats, JournalUnavailable
from journal.writer import DatabaseAway, JournalWriter

__all__ = ["DatabaseAway", "Entry", "Journal", "JournalStats", "JournalUnavailable",
           "JournalWriter"]
