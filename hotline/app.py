"""create_app(): wires campaigns, the database and the blueprints together."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, datetime

from flask import Flask, Request, redirect, url_for
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from sqlalchemy import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

from campaign.loader import load_campaigns
from campaign.model import Campaigns
from console import ConsoleContext
from console import init_app as init_console
from console.recordings.media import RecordingMedia
from db.engine import make_engine, make_session_factory
from hotline import health, metrics
from hotline.followup_lookup import FollowUpLookup
from hotline.requests import FormRequest
from hotline.settings import Settings
from ivr.references import ReferenceMaker, new_reference
from journal import Journal, JournalWriter
from recordings.store import RecordingStore
from webhooks import PREFIX as WEBHOOKS_PREFIX
from webhooks import WebhookContext
from webhooks import init_app as init_webhooks

Clock = Callable[[], datetime]


class NoSessionOnWebhooks(SecureCookieSessionInterface):
    """Twilio sends no cookie and the webhooks keep nothing in one: they skip the signed
    cookie session (its serializer is built per request), which the console still has."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if request.path.startswith(WEBHOOKS_PREFIX + "/"):
            return self.make_null_session(app)
        return super().open_session(app, request)


def system_clock() -> datetime:
    return datetime.now(UTC)


def create_app(settings: Settings, *, clock: Clock = system_clock,
               campaigns: Campaigns | None = None, engine: Engine | None = None,
               drain_inline: bool = False) -> Flask:
    """Build the web app. Raises CampaignError or SettingsError with a clear message.

    `clock` is for tests and the in-process call simulator; a served app always runs
    on the system clock. The journal's writer runs as a thread of each process that
    serves (started after gunicorn's fork, or by the first webhook); `drain_inline`
    instead drains the journal in the request, after the fact is journalled, so that
    tests and `hotline call` see it in the database when the webhook returns.
    """
    app = Flask("hotline", instance_path=str(settings.instance_path.resolve()))
    app.request_class = FormRequest
    app.config.update(
        SECRET_KEY=settings.secret_key or secrets.token_hex(32),
        MAX_CONTENT_LENGTH=64 * 1024,  # Twilio's webhooks are a few hundred bytes
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=bool(settings.public_url
                                   and settings.public_url.startswith("https://")),
    )
    app.session_interface = NoSessionOnWebhooks()
    if settings.proxy_hops:
        # Trust X-Forwarded-For and -Proto from exactly this many proxies in front, no
        # more; Host, Port and Prefix only when HOTLINE_PROXY_HEADERS names them (a
        # client could otherwise move the URLs the app builds and signs).
        hops, extra = settings.proxy_hops, settings.proxy_headers
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops if "host" in extra else 0,
            x_port=hops if "port" in extra else 0, x_prefix=hops if "prefix" in extra else 0)
    campaigns = campaigns if campaigns is not None else load_campaigns(settings.campaigns_path)
    engine = engine if engine is not None else make_engine(settings.database_url,
                                                           bounded=True)
    token, _ = settings.auth_token(create=True)
    app.extensions["hotline.settings"] = settings
    app.extensions["hotline.engine"] = engine
    journal = Journal(settings.journal_file)
    writer = JournalWriter(journal, make_session_factory(engine, writer=True), engine,
                           new_reference=new_reference, on_applied=metrics.count_applied,
                           on_failure=metrics.count_apply_failure)
    app.extensions["hotline.journal"] = journal
    app.extensions["hotline.writer"] = writer
    make_reference = ReferenceMaker(lambda count: journal.reserve("references", count),
                                    settings.reference_key_bytes(), settings.host_number)
    init_webhooks(app, WebhookContext(
        campaigns=campaigns, journal=journal, make_reference=make_reference, clock=clock,
        auth_token=token, public_url=settings.public_url,
        after_append=writer.drain_quietly if drain_inline else writer.notify,
        on_journal_error=metrics.count_journal_error,
        look_up=FollowUpLookup(make_session_factory(engine), clock)))
    keyring = settings.recordings_keyring()
    init_console(app, ConsoleContext(
        campaigns=campaigns, sessions=make_session_factory(engine), clock=clock,
        keyring=keyring, second_factor_required=settings.second_factor_required,
        idle_minutes=settings.idle_minutes,
        writers=make_session_factory(engine, writer=True),
        media=RecordingMedia(settings.twilio_account_sid, settings.twilio_auth_token,
                             api_base=settings.twilio_api),
        recordings=RecordingStore(settings.recordings_path, keyring)),
        https=(settings.public_url or "").startswith("https://"))
    app.register_blueprint(health.bp)
    metrics.init_app(app, engine, journal, token=settings.metrics_token)
    # The address people type: the console (which asks them to sign in).
    app.add_url_rule("/", "home", lambda: redirect(url_for("console.index")))
    # Browsers ask for /favicon.ico whatever the page links; the console's icon answers.
    app.add_url_rule("/favicon.ico", "favicon", lambda: redirect(
        url_for("console.static", filename="favicon.svg"), code=301))
    return app
