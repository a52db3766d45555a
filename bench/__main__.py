"""`python -m bench`: every benchmark in turn (for now, the daily report's)."""

from bench.report import main

main()
