"""Costs that must stay flat as calls pile up: the same reads at 10 thousand and 1 million calls.

    python -m bench.growth [--databases sqlite,postgresql] [--sizes 10000,1000000] [--quick]

Each size gets a database of the bench's own (an SQLite file under
instance/bench/, a PostgreSQL database named hotline_bench_growth_<size>_daily),
filled once with bench.report's realistic calls and reused. A line takes the
same number of calls every day (1,000), so a bigger log is a longer history:
10 thousand calls are ten days of the seed campaign, a million its thousandth
day (the campaign's closing date moved to fit). Then the daily
report, the console's pages (through the app, signed in as a manager), the
searches and a day's export are timed at each size; the figure that counts is
the ratio of the largest size to the smallest. For a read that grows, the
slowest SQL statement it ran is shown with its query plan.
"""

from __future__ import annotations

import argparse
import re
import secrets
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from sqlalchemy import Engine, event, select, text
from sqlalchemy.engine import make_url

from bench.report import FIRST_DAY, prepare
from bench.servers import POSTGRES_ADMIN
from campaign.loader import load_campaigns
from campaign.model import Campaign
from console.filters import encode_cursor
from db.engine import make_engine, make_session_factory
from db.models import Call, Report
from hotline.app import create_app
from hotline.settings import Settings
from reports.figures import campaign_figures

ROOT = Path(__file__).resolve().parent.parent
PER_DAY = 1000  # calls a day: a busy line
FLAT = 1.5
# The reads that must stay flat by the issue's own words; the rest are reported the same way.
MUST_BE_FLAT = ("daily report", "first page", "deep page", "search")
FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass(frozen=True)
class History:
    """A campaign that has run for `days` days at PER_DAY calls a day."""

    campaign: Campaign
    campaigns_path: Path
    mid_day: date
    last_day: date
    now: datetime  # the next morning, 10:00 local


def history(calls: int, folder: Path) -> History:
    days = max(1, -(-calls // PER_DAY))
    last = FIRST_DAY + timedelta(days=days - 1)
    path = folder / f"campaigns-{calls}"
    path.mkdir(parents=True, exist_ok=True)
    seed = (ROOT / "campaigns" / "guangzhou-2023.toml").read_text(encoding="utf-8")
    (path / "line.toml").write_text(re.sub(r"^closes = .*$", f"closes = {last}", seed,
                                           count=1, flags=re.M), encoding="utf-8")
    campaign = next(iter(load_campaigns(path)))
    now = datetime.combine(last + timedelta(days=1), dtime(10), tzinfo=campaign.timezone)
    return History(campaign, path, FIRST_DAY + timedelta(days=days // 2), last,
                   now.astimezone(UTC))


@dataclass
class Statement:
    sql: str
    params: Any
    seconds: float


class _Recorder:
    """The SQL one read runs, each statement with its time (for the plan of a slow read)."""

    def __init__(self, engine: Engine) -> None:
        self.statements: list[Statement] = []
        self.on = False
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)
        self._began = 0.0

    def _before(self, *_args: Any) -> None:
        self._began = time.perf_counter()

    def _after(self, _conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if self.on:
            self.statements.append(Statement(statement, parameters,
                                             time.perf_counter() - self._began))


def _sign_in(client: Any, engine: Engine, now: datetime) -> None:
    from console.accounts import add_user

    name = f"bench{secrets.token_hex(4)}"  # one per run: the audit log keeps every user
    password = secrets.token_urlsafe(16)
    with make_session_factory(engine).begin() as session:
        add_user(session, name, "manager", password, at=now, hasher=FAST)
    page = client.get("/console/login").get_data(as_text=True)
    token = CSRF.search(page).group(1)  # type: ignore[union-attr]
    answer = client.post("/console/login", data={"csrf_token": token, "name": name,
                                                 "password": password})
    if answer.status_code != 302:
        raise RuntimeError(f"bench sign-in failed: {answer.status_code}")


def _get(client: Any, path: str) -> Callable[[], None]:
    def read() -> None:
        response = client.get(path, follow_redirects=True)
        body = response.get_data()  # a streamed export is read to its end
        if response.status_code != 200 or not body:
            raise RuntimeError(f"{path} answered {response.status_code}")
    return read


def _reads(client: Any, engine: Engine, line: History) -> dict[str, Callable[[], None]]:
    campaign, a_day = line.campaign, line.mid_day
    sessions = make_session_factory(engine)
    with sessions() as session:
        total = session.scalar(select(Call.id).order_by(Call.id.desc()).limit(1)) or 1
        deep = session.get(Call, max(1, total // 5))  # four fifths down the list
        picked = session.scalars(select(Report).where(Report.category == "integrity")
                                 .order_by(Report.id).offset(
                                     max(0, session.query(Report).count() // 5))
                                 .limit(1)).first()
        middle = session.get(Call, max(1, total // 2))
        number = (middle.from_number if middle else None) or "+8613800138000"
    cursor = encode_cursor((deep.started_at, deep.id)) if deep else ""
    filtered = "campaign=gz-2023&outcome=reported&category=integrity"
    deep_filtered = (encode_cursor((picked.call_started_at, picked.call_id))
                     if picked and picked.call_started_at else "")

    def report(day: date) -> Callable[[], None]:
        def read() -> None:
            with sessions() as session:
                campaign_figures(session, campaign, day, line.now)
        return read

    return {
        "daily report, a mid-campaign day": report(a_day),
        "daily report, the last day": report(line.last_day),
        "campaign so far (statistics of the campaign)": _get(
            client, f"/console/stats?campaign={campaign.id}"),
        "statistics page": _get(client, "/console/stats"),
        "call list, first page": _get(client, "/console/calls"),
        "call list, deep page": _get(client, f"/console/calls?older={cursor}"),
        "call list, first page, filtered": _get(client, f"/console/calls?{filtered}"),
        "call list, deep page, filtered": _get(
            client, f"/console/calls?{filtered}&older={deep_filtered}"),
        "call list, one day, filtered": _get(
            client, f"/console/calls?{filtered}&since={a_day}&until={a_day}"),
        "search by reference": _get(
            client, f"/console/calls?q={picked.reference if picked else '00000000'}"),
        "search by calling number": _get(client, f"/console/calls?q={number.lstrip('+')}"),
        "a day's export (CSV)": _get(client, f"/console/calls.csv?since={a_day}&until={a_day}"),
        # The inbox (db/inbox.py): where the console opens, its counts and its queues.
        "inbox, mine (where the console opens)": _get(client, "/console/inbox"),
        "inbox, unassigned": _get(client, "/console/inbox?queue=unassigned"),
        "inbox, overdue": _get(client, "/console/inbox?queue=overdue"),
        "inbox, all reports": _get(client, "/console/inbox?queue=all"),
        "inbox, the counts' refresh (JSON)": _get(client, "/console/inbox/counts"),
    }


def _time(read: Callable[[], None], repeat: int) -> float:
    """The least of `repeat` timings, after a warming read: what the read itself costs.
    (On a shared machine the median of five moved a 15 ms read by half from one run to
    the next, so reads with no statement over a millisecond passed and missed by turns;
    other work only ever adds time.)"""
    read()  # warm: caches, the planner's statistics
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        read()
        times.append(time.perf_counter() - began)
    return min(times)


def measure(engine: Engine, line: History, folder: Path, repeat: int
            ) -> tuple[dict[str, float], dict[str, list[Statement]]]:
    url = engine.url.render_as_string(hide_password=False)
    settings = Settings(database_url=url, campaigns_path=line.campaigns_path,
                        instance_path=folder, twilio_auth_token="bench-" + "0" * 26)
    app = create_app(settings, clock=lambda: line.now, engine=engine)
    app.extensions["hotline.console"].hasher = FAST
    client = app.test_client()
    _sign_in(client, engine, line.now)
    recorder = _Recorder(engine)
    times, statements = {}, {}
    for name, read in _reads(client, engine, line).items():
        times[name] = _time(read, repeat)
        recorder.statements, recorder.on = [], True
        read()
        recorder.on = False
        statements[name] = recorder.statements
    return times, statements


def explain(engine: Engine, statement: Statement) -> str:
    prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
    with engine.connect() as connection:
        rows = connection.exec_driver_sql(prefix + statement.sql, statement.params).all()
    if engine.dialect.name == "sqlite":
        return "\n".join(f"      {str(row[-1])[:150]}" for row in rows)
    return "\n".join(f"      {str(row[0])[:150]}" for row in rows)


@contextmanager
def growth_database(kind: str, size: int, quick: bool, folder: Path) -> Iterator[tuple[str, bool]]:
    """(URL, owned) of the bench's database for `size` calls; quick ones are thrown away."""
    if kind == "sqlite":
        base = folder if quick else ROOT / "instance" / "bench"
        yield f"sqlite:///{base / f'growth-{size}-daily.sqlite3'}", True
        return
    admin = make_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
    name = (f"hotline_bench_quick_{secrets.token_hex(4)}_{size}" if quick
            else f"hotline_bench_growth_{size}_daily")
    with admin.connect() as connection:
        exists = connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                                   {"n": name})
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES_ADMIN).set(database=name).render_as_string(
            hide_password=False), not exists
    finally:
        if quick:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def run(databases: list[str], sizes: list[int], quick: bool, repeat: int) -> dict[str, Any]:
    from bench.servers import postgres_reachable

    out: dict[str, Any] = {"sizes": sizes, "databases": {}, "skipped": {}, "plans": {},
                           "repeat": repeat}
    with tempfile.TemporaryDirectory(prefix="hotline-growth-") as tmp:
        for kind in databases:
            if kind == "postgresql" and (reason := postgres_reachable()):
                out["skipped"][kind] = reason
                continue
            per_size: dict[int, dict[str, float]] = {}
            plans: dict[str, str] = {}
            for size in sizes:
                with growth_database(kind, size, quick, Path(tmp)) as (url, owned):
                    line = history(size, Path(tmp))
                    engine = prepare(url, line.campaign, size, owned=owned)
                    per_size[size], statements = measure(engine, line, Path(tmp), repeat)
                    if size == max(sizes):
                        for name, ran in statements.items():
                            if ran:
                                slowest = max(ran, key=lambda s: s.seconds)
                                plans[name] = (f"    slowest statement "
                                               f"({slowest.seconds * 1000:.0f} ms):\n"
                                               f"{explain(engine, slowest)}")
                    engine.dispose()
            out["databases"][kind] = per_size
            out["plans"][kind] = plans
    return out


def ratios(per_size: dict[int, dict[str, float]]) -> dict[str, float]:
    small, large = per_size[min(per_size)], per_size[max(per_size)]
    return {name: large[name] / max(small[name], 1e-6) for name in large}


def print_results(results: dict[str, Any]) -> None:
    small, large = min(results["sizes"]), max(results["sizes"])
    for kind, per_size in results["databases"].items():
        print(f"\n== growth on {kind}: {small:,} → {large:,} calls "
              f"(least ms of {results['repeat']} reads, ratio)")
        print(f"   {'read':<46}{f'{small:,}':>10}{f'{large:,}':>11}{'ratio':>8}")
        for name, ratio in ratios(per_size).items():
            print(f"   {name:<46}{per_size[small][name] * 1000:>10.1f}"
                  f"{per_size[large][name] * 1000:>11.1f}{ratio:>7.2f}×"
                  f"{'' if ratio <= FLAT else '  grows'}")
            if ratio > FLAT and name in results["plans"][kind]:
                print(results["plans"][kind][name])
    for kind, reason in results["skipped"].items():
        print(f"\n== growth on {kind}: skipped ({reason})")


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--sizes", default="10000,1000000")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--quick", action="store_true",
                        help="a smoke test: small sizes in throw-away databases")
    args = parser.parse_args(argv)
    sizes = [300, 3000] if args.quick else [int(s) for s in args.sizes.split(",")]
    results = run(args.databases.split(","), sizes, args.quick,
                  1 if args.quick else args.repeat)
    print_results(results)
    return results


if __name__ == "__main__":
    main()
