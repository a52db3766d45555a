"""`python -m bench`: every benchmark in turn: webhook latency, then the daily report."""

from bench import report, webhooks

webhooks.main([])
report.main([])
