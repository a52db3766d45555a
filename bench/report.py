"""How long the daily report takes on a call log of a million calls.

    python -m bench.report [--calls 1000000] [--url DATABASE_URL] [--refill] [--wipe]

Fills a database (by default an SQLite file under instance/bench/) with the
seed campaign's calls spread over its 78 days, with the outcome mix of a busy
line, their menu steps and reports, in bulk, then times the report of one day
in the middle and of the last day (whose "so far" figures cover every call),
and the whole e-mail (figures, HTML, text, CSV and chart; nothing is sent).
A filled database is reused unless --refill is given.

Filling deletes the call log first, so the bench only fills a database it made
itself: its own SQLite file (the default) or one holding its marker table
(bench_report_marker). Pointed at any other database whose call log would have
to be emptied, it stops and says so; --wipe overrides that.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, delete, func, insert, inspect, select

from campaign.loader import load_campaigns
from campaign.model import Campaign
from db import tally_sql
from db.engine import make_engine, make_session_factory
from db.migrate import upgrade
from db.models import Call, CallEvent, Report
from ivr.references import is_valid_reference
from reports.figures import campaign_figures
from reports.mail import build_message

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = f"sqlite:///{ROOT / 'instance' / 'bench' / 'report-bench.sqlite3'}"
BATCH = 20_000
MARKER = "bench_report_marker"  # "this database was made by the bench and may be wiped"
FIRST_DAY = date(2023, 5, 10)
# Outcome mix of a busy line: most calls are taken; a fifth are turned away.
OUTCOMES = (("reported", 40), ("referred", 10), ("transferred", 3), ("abandoned", 27),
            ("closed_hours", 17), ("after_cutoff", 1), ("not_open_yet", 2))
SUBJECTS = ("city-leadership", "next-level-leaders", "key-post-leaders")
FOLLOW_UPS = ("new", "new", "acknowledged", "in_review", "referred", "closed")
OPEN = ("acknowledged", "in_review")
DONE = ("referred", "closed")
BACKLOG = 0.01  # share of reports an office lets run past a deadline


def _follow_up(rng: random.Random, campaign: Campaign, started: datetime) -> str:
    """Where an office that keeps its deadlines has a report by the campaign's last day:
    the recent ones in every state, older ones acknowledged, the oldest answered."""
    age = (campaign.closes - started.astimezone(campaign.timezone).date()).days
    late = rng.random() < BACKLOG
    if age > campaign.feedback_days:
        return rng.choice(OPEN) if late else rng.choice(DONE)
    if age > campaign.acknowledge_days:
        return "new" if late else rng.choice(OPEN + DONE)
    return rng.choice(FOLLOW_UPS)


def reference(serial: int) -> str:
    """A valid reference (check digit included) unique to `serial`, as callers quote them."""
    body = str(1_000_000 + serial)
    return next(body + digit for digit in "0123456789" if is_valid_reference(body + digit))


Rows = list[dict[str, Any]]


def _rows(campaign: Campaign, calls: int, seed: int = 7) -> Iterator[tuple[Rows, Rows, Rows]]:
    """Batches of (calls, events, reports) rows with explicit ids, oldest call first."""
    rng = random.Random(seed)
    days = (campaign.closes - FIRST_DAY).days + 1
    outcomes = [o for o, weight in OUTCOMES for _ in range(weight)]
    categories = [c.id for c in campaign.categories]
    start = datetime.combine(FIRST_DAY, datetime.min.time(), tzinfo=campaign.timezone)
    span = days * 86400
    event_id = report_id = 0
    for first in range(1, calls + 1, BATCH):
        call_rows, event_rows, report_rows = [], [], []
        for call_id in range(first, min(first + BATCH, calls + 1)):
            started = (start + timedelta(seconds=span * (call_id - 1) // calls)).astimezone(UTC)
            outcome = rng.choice(outcomes)
            duration = rng.randint(20, 400)
            call_rows.append({
                "id": call_id, "call_sid": f"CA{call_id:032x}", "campaign_id": campaign.id,
                "from_number": f"+86138{rng.randint(0, 99_999_999):08d}",
                "to_number": campaign.numbers[0], "started_at": started,
                "ended_at": started + timedelta(seconds=duration), "status": "completed",
                "duration_seconds": duration, "language": rng.choice(campaign.languages),
                "refusal": outcome if outcome in ("closed_hours", "after_cutoff",
                                                  "not_open_yet") else None,
                "referred": outcome == "referred", "transferred": outcome == "transferred",
                "outcome": outcome, "chose_category": False})
            event_id += 1
            event_rows.append({"id": event_id, "call_id": call_id, "step_no": 0,
                               "step": "voice", "result": "menu", "digits": None,
                               "at": started})
            chose = outcome == "reported" or (outcome == "abandoned" and rng.random() < 0.4)
            if chose:
                category = rng.choice(categories)
                call_rows[-1]["chose_category"] = True
                event_id += 1
                event_rows.append({"id": event_id, "call_id": call_id, "step_no": 1,
                                   "step": "menu", "result": f"category:{category}",
                                   "digits": "1", "at": started + timedelta(seconds=15)})
            if outcome == "reported":
                for number in range(1, 3 if rng.random() < 0.1 else 2):
                    report_id += 1
                    report_rows.append({
                        "id": report_id, "call_id": call_id, "number": number,
                        "reference": reference(report_id), "category": category,
                        "subject": rng.choice(SUBJECTS), "recording_sid": f"RE{report_id:032x}",
                        "recording_url": None, "recording_seconds": rng.randint(5, 300),
                        "recording_status": "completed",
                        "created_at": started + timedelta(seconds=60),
                        "follow_up": _follow_up(rng, campaign, started),
                        "campaign_id": campaign.id, "call_started_at": started,
                        "acknowledge_due": started + timedelta(days=campaign.acknowledge_days),
                        "feedback_due": started + timedelta(days=campaign.feedback_days)})
        yield call_rows, event_rows, report_rows


def fill(engine: Engine, campaign: Campaign, calls: int) -> float:
    """Empty the call log and bulk-insert `calls` calls; returns the seconds it took."""
    began = time.perf_counter()
    dialect = engine.dialect.name
    with engine.begin() as connection:
        connection.exec_driver_sql(f"CREATE TABLE IF NOT EXISTS {MARKER} (made_by VARCHAR(64))")
        # A bulk load: the tallies' triggers rest meanwhile; the tallies are counted again
        # from the rows at the end, and the triggers come back in that same transaction.
        for statement in tally_sql.drop_all_triggers(dialect):
            connection.exec_driver_sql(statement)
        for table in (Report, CallEvent, Call):
            connection.execute(delete(table))
    done = 0
    for call_rows, event_rows, report_rows in _rows(campaign, calls):
        with engine.begin() as connection:
            connection.execute(insert(Call), call_rows)
            connection.execute(insert(CallEvent), event_rows)
            if report_rows:
                connection.execute(insert(Report), report_rows)
        done += len(call_rows)
        if done % 200_000 < BATCH:
            print(f"  {done:>9,} calls written ({time.perf_counter() - began:.0f} s)")
    with engine.begin() as connection:
        tally_sql.rebuild(connection)
        for statement in tally_sql.create_all_triggers(dialect):
            connection.exec_driver_sql(statement)
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")
    else:
        with engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")
    return time.perf_counter() - began


def prepare(url: str, campaign: Campaign, calls: int, *, refill: bool = False,
            wipe: bool = False, owned: bool = False) -> Engine:
    """An engine on `url` holding exactly `calls` bench calls (filled unless already so).

    Only a database the bench made may be emptied: `owned` (its own file), one with the
    marker table, or any with `wipe`; anything else stops with a message.
    """
    engine = make_engine(url)
    upgrade(engine)
    with engine.connect() as connection:
        present = connection.scalar(select(func.count()).select_from(Call)) or 0
    print(f"database: {engine.url.render_as_string(hide_password=True)} "
          f"({engine.dialect.name})")
    if present != calls or refill:
        owned = owned or inspect(engine).has_table(MARKER)
        if present and not owned and not wipe:
            engine.dispose()
            raise SystemExit(
                f"bench: {engine.url.render_as_string(hide_password=True)} holds "
                f"{present:,} calls and was not made by this bench; filling it would delete "
                "them. Use a database of its own, or --wipe if that is really what you want.")
        print(f"filling {calls:,} calls …")
        print(f"filled in {fill(engine, campaign, calls):.1f} s")
    return engine


def _timed(action, repeat: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        action()
        times.append(time.perf_counter() - began)
    return min(times), statistics.median(times)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--url", default=DEFAULT_URL, help="database URL (SQLite or PostgreSQL)")
    parser.add_argument("--refill", action="store_true", help="fill even if already filled")
    parser.add_argument("--wipe", action="store_true",
                        help="allow emptying the call log of a database the bench did not make")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)

    campaign = next(iter(load_campaigns(ROOT / "campaigns")))
    engine = prepare(args.url, campaign, args.calls, refill=args.refill, wipe=args.wipe,
                     owned=args.url == DEFAULT_URL)
    sessions = make_session_factory(engine)
    with sessions() as session:
        reports = session.scalar(select(func.count()).select_from(Report))
    print(f"call log: {args.calls:,} calls, {reports:,} reports")

    now = datetime(2023, 7, 27, 10, 0, tzinfo=UTC)
    for label, day in (("a mid-campaign day", date(2023, 6, 15)),
                       ("the last day", campaign.closes)):
        def figures(day: date = day):  # type: ignore[no-untyped-def]
            with sessions() as session:
                return campaign_figures(session, campaign, day, now)

        result = figures()
        best, median = _timed(figures, args.repeat)
        print(f"report of {label} ({day}: {result.today.calls:,} calls that day, "
              f"{result.so_far.calls:,} so far): best {best * 1000:.0f} ms, "
              f"median {median * 1000:.0f} ms")

    def whole_mail() -> None:
        with sessions() as session:
            data = campaign_figures(session, campaign, campaign.closes, now)
        build_message(data, mail_from="bench@example.org", recipients=("lead@example.org",))

    best, median = _timed(whole_mail, args.repeat)
    print(f"whole e-mail of the last day (figures, HTML, text, CSV, chart): "
          f"best {best * 1000:.0f} ms, median {median * 1000:.0f} ms")
    engine.dispose()


if __name__ == "__main__":
    main()
