"""The outcome of a call, one per call, in the log and the export."""

from enum import StrEnum


class CallOutcome(StrEnum):
    CLOSED_HOURS = "closed_hours"      # outside the hours, a closed weekday or date
    NOT_OPEN_YET = "not_open_yet"      # before the campaign's `opens`
    AFTER_CUTOFF = "after_cutoff"      # after the campaign's `closes`
    UNKNOWN_NUMBER = "unknown_number"  # the dialled number is in no campaign
    REPORTED = "reported"              # at least one report with a recording
    REFERRED = "referred"              # heard the referral, made no report
    TRANSFERRED = "transferred"        # put through to the duty officer, made no report
    FOLLOWED_UP = "followed_up"        # followed a report up by its reference, no new report
    ABANDONED = "abandoned"            # taken, but ended before any of those
    IN_PROGRESS = "in_progress"        # still on the line


REFUSALS = frozenset({CallOutcome.CLOSED_HOURS, CallOutcome.NOT_OPEN_YET,
                      CallOutcome.AFTER_CUTOFF, CallOutcome.UNKNOWN_NUMBER})

# Twilio's final call statuses; once one is stored, a late non-final one never replaces it.
FINAL_STATUSES = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})
