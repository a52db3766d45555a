"""APScheduler set-up and the jobs it runs (the daily report and its retries).

`hotline scheduler` runs one BlockingScheduler in its own process, never one
per web worker; its jobs live in a SQLAlchemy job store on the application's
database (table `apscheduler_jobs`, created by APScheduler and left out of
Alembic's comparisons).
"""
