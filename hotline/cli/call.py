"""`hotline call`: a call placed from the terminal, in-process or against a server."""

from __future__ import annotations

from datetime import UTC

import click

from hotline.app import create_app
from hotline.cli.shared import Failure, open_engine, prepare_database, read_campaigns, read_settings
from hotline.settings import SettingsError


@click.command()
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
        Transport,
        WebhookFailed,
    )
    from hotline.terminal_caller import TerminalCaller, shifted_clock

    settings = read_settings()
    all_campaigns = read_campaigns(settings)
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
        transport: Transport = HttpTransport(token)
    else:
        route = all_campaigns.route(to=to_number, forwarded_from=forwarded_from)
        campaign = route.campaign if route else None
        try:
            clock = shifted_clock(at, campaign.timezone if campaign else UTC) if at else None
        except ValueError as exc:
            raise Failure(f"--at: {exc}") from None
        engine = open_engine(settings)
        prepare_database(engine)
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
