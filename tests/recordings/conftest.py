"""Fixtures for recordings at rest: the Recordings double, speech, the store, the job."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

import pytest
from recordings_double import ACCOUNT_SID, AUTH_TOKEN, RecordingsDouble, serve_double
from speech import fit, have_tools, speak
from sqlalchemy import select

from campaign.model import Campaigns
from db.engine import make_session_factory
from db.models import Report
from recordings.fetch import FetchContext
from recordings.store import RecordingStore
from recordings.twilio_api import RecordingsApi
from tests.helpers import PASSWORD, REQUIRE_ALL, csrf_token


@pytest.fixture(scope="session")
def speech_wav(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    missing = have_tools()
    if missing:
        if REQUIRE_ALL:
            pytest.fail(missing)
        pytest.skip(missing)
    return speak(tmp_path_factory.mktemp("speech"))


@pytest.fixture
def disguise() -> str:
    return "playback"


@pytest.fixture
def campaigns(campaigns: Campaigns, disguise: str) -> Campaigns:
    return Campaigns.of([replace(c, voice_disguise=disguise) for c in campaigns])


@pytest.fixture
def double() -> Iterator[RecordingsDouble]:
    with serve_double() as running:
        yield running


@pytest.fixture
def store(app) -> RecordingStore:  # type: ignore[no-untyped-def]
    """The app's own store (the console plays from it)."""
    return app.extensions["hotline.console"].recordings


@pytest.fixture
def fetcher(engine, store, double, campaigns, clock) -> FetchContext:  # type: ignore[no-untyped-def]
    return FetchContext(
        sessions=make_session_factory(engine, writer=True), store=store,
        twilio=RecordingsApi(ACCOUNT_SID, AUTH_TOKEN, api_base=double.url, timeout=1.0),
        campaigns=campaigns, clock=clock)


@dataclass
class Reported:
    reference: str
    recording_sid: str
    call_sid: str
    audio: bytes  # the WAV at the double, as Twilio would serve it


@pytest.fixture
def reported(place_call, double, speech_wav, engine) -> Callable[..., Reported]:  # type: ignore[no-untyped-def]
    """report(seconds=9, from_number=…): a call with one report whose recording (speech
    fitted to exactly that length) waits at the double."""

    def make(seconds: int = 9, from_number: str = "+8613800138000") -> Reported:
        result = place_call("1", "3", "1", f"r{seconds}", "2", from_number=from_number)
        sid = result.recordings[0]
        audio = fit(speech_wav, seconds)
        double.recordings[sid] = audio
        with engine.connect() as connection:
            reference = connection.execute(select(Report.reference).where(
                Report.recording_sid == sid)).scalar_one()
        return Reported(reference, sid, result.call_sid, audio)

    return make


@pytest.fixture
def signed_in(app, engine, clock):  # type: ignore[no-untyped-def]
    """signed_in("operator" | "manager") → a test client signed in as such a user."""
    from argon2 import PasswordHasher

    from console.accounts import add_user

    hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    app.extensions["hotline.console"].hasher = hasher
    made: set[str] = set()

    def make(role: str):  # type: ignore[no-untyped-def]
        if role not in made:
            with make_session_factory(engine).begin() as session:
                add_user(session, role, role, PASSWORD, at=clock(), hasher=hasher)
            made.add(role)
        client = app.test_client()
        token = csrf_token(client, "/console/login")
        response = client.post("/console/login", data={
            "csrf_token": token, "name": role, "password": PASSWORD})
        assert response.status_code == 302
        return client

    return make
