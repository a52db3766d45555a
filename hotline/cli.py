"""The `hotline` command line (also `python -m hotline`)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import click
from sqlalchemy import Engine
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

from db import migrate
from db.engine import make_engine, make_session_factory
from hotline.app import create_app
from hotline.settings import Settings, SettingsError
from ivr.campaign import CampaignError, Campaigns, load_campaign, load_campaigns


class Failure(click.ClickException):
    """One clear line on standard error and exit status 2, never a traceback."""

    exit_code = 2

    def show(self, file=None) -> None:  # type: ignore[no-untyped-def]
        click.echo(f"hotline: {self.format_message()}", err=True)


def unreachable(exc: OperationalError) -> Failure:
    """The database cannot be reached: the driver's first line says why."""
    reason = str(exc.orig or exc).strip().splitlines()[0]
    return Failure(f"cannot reach the database: {reason}")


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except SettingsError as exc:
        raise Failure(str(exc)) from None


def _campaigns(settings: Settings) -> Campaigns:
    try:
        return load_campaigns(settings.campaigns_path)
    except CampaignError as exc:
        raise Failure("bad campaign file:\n" + str(exc)) from None


def _engine(settings: Settings, *, bounded: bool = False) -> Engine:
    try:
        return make_engine(settings.database_url, bounded=bounded)
    except (ArgumentError, NoSuchModuleError) as exc:
        raise Failure(f"HOTLINE_DATABASE_URL: not a database URL this app can use ({exc}); "
                      "use sqlite:///path or postgresql+psycopg://user@host/db") from None


def _prepare_database(engine: Engine) -> None:
    """SQLite upgrades itself; any other database must be upgraded by `hotline db upgrade`."""
    try:
        if engine.dialect.name == "sqlite":
            migrate.upgrade(engine)
        elif not migrate.is_up_to_date(engine):
            raise Failure(f"the database is at revision {migrate.current_revision(engine)}, "
                          f"not {migrate.head_revision(engine)}; run `hotline db upgrade`")
    except OperationalError as exc:
        raise unreachable(exc) from None


@click.group()
def main() -> None:
    """Hotline: a telephone reporting line on Twilio."""


# --- serve ----------------------------------------------------------------------------------

@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="gunicorn worker processes")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 256),
              help="threads per worker (webhooks are short)")
def serve(host: str, port: int, workers: int, threads: int) -> None:
    """Serve the webhooks (and the console) with gunicorn."""
    settings = _settings()
    if settings.production and settings.production_problems():
        raise Failure("not ready for production (HOTLINE_ENV=production): "
                      + "; ".join(settings.production_problems()))
    campaigns = _campaigns(settings)
    _prepare_database(_engine(settings))  # migrations keep the database's own time limits
    engine = _engine(settings, bounded=True)
    _token, is_local = settings.auth_token(create=True)
    if is_local:
        click.echo(f"hotline: TWILIO_AUTH_TOKEN is not set; webhooks must be signed with the "
                   f"local token in {settings.local_token_path} (`hotline call` uses it)",
                   err=True)
    app = create_app(settings, campaigns=campaigns, engine=engine)
    for campaign in campaigns:
        click.echo(f"hotline: campaign {campaign.id} answers {', '.join(campaign.numbers)}",
                   err=True)
    from hotline.server import run_gunicorn

    run_gunicorn(app, engine, bind=f"{host}:{port}", workers=workers, threads=threads)


# --- db ---------------------------------------------------------------------------------------

@main.group()
def db() -> None:
    """Database migrations (Alembic)."""


@db.command("upgrade")
@click.argument("revision", default="heads")
def db_upgrade(revision: str) -> None:
    """Upgrade the database to REVISION (default: the newest)."""
    engine = _engine(_settings())
    try:
        migrate.upgrade(engine, revision)
    except OperationalError as exc:
        raise unreachable(exc) from None
    click.echo(f"database at revision {migrate.current_revision(engine)}")


@db.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Downgrade the database to REVISION ('base' empties it)."""
    engine = _engine(_settings())
    try:
        migrate.downgrade(engine, revision)
    except OperationalError as exc:
        raise unreachable(exc) from None
    click.echo(f"database at revision {migrate.current_revision(engine)}")


@db.command("current")
def db_current() -> None:
    """Show the database's revision and the newest one."""
    engine = _engine(_settings())
    try:
        current = migrate.current_revision(engine)
    except OperationalError as exc:
        raise unreachable(exc) from None
    head = migrate.head_revision(engine)
    state = "up to date" if migrate.is_up_to_date(engine) else f"newest is {head}"
    click.echo(f"{current or '(empty)'} ({state})")


# --- campaigns --------------------------------------------------------------------------------

@main.group()
def campaigns() -> None:
    """Campaign files."""


@campaigns.command("check")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
def campaigns_check(files: tuple[Path, ...]) -> None:
    """Check campaign FILES; print every problem with file, field and reason."""
    problems = []
    for file in files:
        try:
            campaign = (load_campaigns(file) if file.is_dir() else
                        Campaigns.of([load_campaign(file)]))
        except CampaignError as exc:
            problems.extend(exc.problems)
            continue
        for each in campaign:
            click.echo(f"{each.source}: ok: {each.id} ({', '.join(each.numbers)}), "
                       f"{len(each.categories)} categories, closes {each.closes}")
    for problem in problems:
        click.echo(str(problem), err=True)
    if problems:
        sys.exit(1)


# --- users ------------------------------------------------------------------------------------

@main.group()
def users() -> None:
    """Console users (operator, manager, admin)."""


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise Failure("--password-stdin: standard input held no password")
        return password
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@users.command("add")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(["operator", "manager", "admin"]))
@click.option("--password-stdin", is_flag=True,
              help="read the password from the first line of standard input")
def users_add(name: str, role: str, password_stdin: bool) -> None:
    """Add a console user NAME with a role."""
    from console.accounts import AccountError, add_user

    engine = _engine(_settings())
    _prepare_database(engine)
    password = _read_password(password_stdin)
    try:
        with make_session_factory(engine).begin() as session:
            user = add_user(session, name, role, password, at=datetime.now(UTC))
    except AccountError as exc:
        raise Failure(str(exc)) from None
    click.echo(f"added {user.name} ({user.role})")


@users.command("list")
def users_list() -> None:
    """List console users: name, role, active or disabled."""
    from console.accounts import list_users

    engine = _engine(_settings())
    _prepare_database(engine)
    with make_session_factory(engine)() as session:
        for user in list_users(session):
            state = "active" if user.active else "disabled"
            click.echo(f"{user.name}\t{user.role}\t{state}")


@users.command("disable")
@click.argument("name")
def users_disable(name: str) -> None:
    """Disable NAME: they are signed out at once and can no longer sign in."""
    _set_user_active(name, False)


@users.command("enable")
@click.argument("name")
def users_enable(name: str) -> None:
    """Enable NAME again."""
    _set_user_active(name, True)


def _set_user_active(name: str, active: bool) -> None:
    from console.accounts import AccountError, set_active

    engine = _engine(_settings())
    _prepare_database(engine)
    try:
        with make_session_factory(engine).begin() as session:
            user = set_active(session, name, active, at=datetime.now(UTC))
    except AccountError as exc:
        raise Failure(str(exc)) from None
    click.echo(f"{user.name} is {'active' if active else 'disabled'}")


@users.command("password")
@click.argument("name")
@click.option("--password-stdin", is_flag=True,
              help="read the password from the first line of standard input")
def users_password(name: str, password_stdin: bool) -> None:
    """Set a new password for NAME (signs them out everywhere)."""
    from console.accounts import AccountError, reset_password

    engine = _engine(_settings())
    _prepare_database(engine)
    password = _read_password(password_stdin)
    try:
        with make_session_factory(engine).begin() as session:
            user = reset_password(session, name, password, at=datetime.now(UTC))
    except AccountError as exc:
        raise Failure(str(exc)) from None
    click.echo(f"new password set for {user.name}")


# --- export -----------------------------------------------------------------------------------

@main.group()
def export() -> None:
    """Export the call log."""


@export.command("calls")
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json",
              show_default=True)
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="first local day (YYYY-MM-DD)")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="last local day, inclusive")
@click.option("--campaign", "campaign_id", help="only this campaign's calls")
def export_calls(fmt: str, since: datetime | None, until: datetime | None,
                 campaign_id: str | None) -> None:
    """Print the calls (oldest first) as one JSON array or as CSV."""
    from reports.export import export_records, write_csv, write_json

    settings = _settings()
    all_campaigns = _campaigns(settings)
    if campaign_id and campaign_id not in all_campaigns.by_id:
        raise Failure(f"--campaign: no campaign {campaign_id!r}; known: "
                      f"{', '.join(all_campaigns.by_id)}")
    engine = _engine(settings)
    _prepare_database(engine)
    from db import audit

    # On record before any row leaves, in its own short transaction (the reading that
    # follows may take minutes and holds no write lock).
    with make_session_factory(engine, writer=True).begin() as session:
        audit.export(session, at=datetime.now(UTC), actor=audit.COMMAND_LINE,
                     target=f"calls.{fmt}", filters={
                         "since": since.date().isoformat() if since else None,
                         "until": until.date().isoformat() if until else None,
                         "campaign": campaign_id})
    with make_session_factory(engine)() as session:
        records = export_records(session, all_campaigns, since.date() if since else None,
                                 until.date() if until else None, campaign_id)
        (write_json if fmt == "json" else write_csv)(records, sys.stdout)


# --- call -------------------------------------------------------------------------------------

@main.command()
@click.option("--from", "from_number", default="+8613800138000", show_default=True,
              help="the caller's number")
@click.option("--to", "to_number", help="Twilio's To: a number or a SIP URI such as "
              "sip:02087756920@example.sip.twilio.com;user=phone (default: the first "
              "campaign's first number)")
@click.option("--forwarded-from", "forwarded_from",
              help="Twilio's ForwardedFrom: the published number a carrier forwarded")
@click.option("--url", help="post to a running server at this URL instead of in-process")
@click.option("--at", "at", help='place the call at this local time, e.g. "2023-06-01 10:00" '
              "(in-process only)")
@click.option("--keys", help='play a script instead of the keyboard, e.g. "1 1 1 r30 2"')
def call(from_number: str, to_number: str | None, forwarded_from: str | None, url: str | None,
         at: str | None, keys: str | None) -> None:
    """Place a call from the terminal: hear the prompts, press keys, leave messages."""
    from hotline.simulator import (
        CallSimulator,
        FlaskTransport,
        HttpTransport,
        ScriptedCaller,
        ScriptExhausted,
        WebhookFailed,
    )
    from hotline.terminal_caller import TerminalCaller, shifted_clock

    settings = _settings()
    all_campaigns = _campaigns(settings)
    to_number = to_number or next(iter(all_campaigns)).numbers[0]
    try:
        token, _ = settings.auth_token(create=url is None)
    except SettingsError as exc:
        raise Failure(str(exc)) from None
    caller = (ScriptedCaller(keys.split(), echo=click.echo) if keys is not None
              else TerminalCaller())
    if url:
        if at:
            raise Failure("--at works only in-process (without --url): a served app always "
                          "runs on the real clock")
        base = url.rstrip("/")
        transport = HttpTransport(token)
    else:
        route = all_campaigns.route(to=to_number, forwarded_from=forwarded_from)
        campaign = route.campaign if route else None
        try:
            clock = shifted_clock(at, campaign.timezone if campaign else UTC) if at else None
        except ValueError as exc:
            raise Failure(f"--at: {exc}") from None
        engine = _engine(settings)
        _prepare_database(engine)
        # In-process, the call's facts go through the journal and on to the database
        # before each webhook returns, so `hotline export calls` sees them at once.
        app = create_app(settings, campaigns=all_campaigns, engine=engine, drain_inline=True,
                         **({"clock": clock} if clock else {}))
        base = settings.public_url or "http://localhost"
        transport = FlaskTransport(app, token, base_url=base)
    simulator = CallSimulator(transport, base, caller, from_number=from_number,
                              to_number=to_number, forwarded_from=forwarded_from)
    try:
        result = simulator.run()
    except (WebhookFailed, ScriptExhausted) as exc:
        raise Failure(str(exc)) from None
    except OSError as exc:
        raise Failure(f"cannot reach {url}: {exc}") from None
    ended = "you hung up" if result.hung_up_by == "caller" else "the line hung up"
    click.echo(f"call {result.call_sid} ended ({ended}), {len(result.recordings)} recording(s)")


# --- report, scheduler (hotline/report_cli.py; it uses the helpers above) ------------------

from hotline.journal_cli import journal_group  # noqa: E402
from hotline.report_cli import reconcile_calls, report, scheduler  # noqa: E402

main.add_command(journal_group)
main.add_command(report)
main.add_command(scheduler)
main.add_command(reconcile_calls, "reconcile")

from hotline.recordings_cli import recordings, retention  # noqa: E402

main.add_command(retention)
main.add_command(recordings)
