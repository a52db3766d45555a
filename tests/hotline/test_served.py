"""The real thing: `hotline serve` (gunicorn) processes taking signed HTTP requests.

Two servers on one database, a call's webhooks landing alternately on each,
and duplicate callbacks fired at both at the same instant: the call log keeps
one row per call, per step and per report.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from db.models import Call, CallEvent, Report
from hotline.simulator import CallSimulator, HttpTransport, ScriptedCaller, new_sid
from tests.helpers import ROOT, free_port, write_campaign

LINE = "+14155550100"


class Server:
    def __init__(self, env: dict[str, str], workers: int = 2) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "hotline", "serve", "--port", str(self.port),
             "--workers", str(workers)],
            cwd=env["HOTLINE_INSTANCE_PATH"], env=env, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"hotline serve exited: {self.process.stdout.read()}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=1) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise AssertionError("hotline serve did not become healthy in 30 s")

    def stop(self) -> str:
        self.process.send_signal(signal.SIGINT)  # gunicorn's quick shutdown
        try:
            output, _ = self.process.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            output, _ = self.process.communicate()
        return output


@pytest.fixture
def server_env(engine: Engine, tmp_path: Path) -> dict[str, str]:
    campaigns = tmp_path / "campaigns"
    campaigns.mkdir()
    write_campaign(campaigns, hours='["00:00", "24:00"]', closes="2099-12-31")
    instance = tmp_path / "instance"
    instance.mkdir()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("TWILIO_", "HOTLINE_"))}
    env.update({
        "HOTLINE_DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "HOTLINE_CAMPAIGNS": str(campaigns),
        "HOTLINE_INSTANCE_PATH": str(instance),
        "PYTHONPATH": str(ROOT),
    })
    return env


@pytest.fixture
def two_servers(server_env: dict[str, str]) -> Iterator[tuple[Server, Server, str]]:
    first = Server(server_env)
    second = Server(server_env)
    token = (Path(server_env["HOTLINE_INSTANCE_PATH"]) / "twilio-local-auth-token") \
        .read_text().strip()
    try:
        yield first, second, token
    finally:
        for server in (first, second):
            output = server.stop()
            assert "Traceback" not in output, output
            # Every write succeeded: duplicates were absorbed, not failed and dropped.
            assert "journal append failed" not in output, output


def test_serve_generates_a_local_token_and_refuses_unsigned(server_env) -> None:
    server = Server(server_env, workers=1)
    try:
        token_file = Path(server_env["HOTLINE_INSTANCE_PATH"]) / "twilio-local-auth-token"
        assert token_file.stat().st_mode & 0o777 == 0o600
        request = urllib.request.Request(server.url + "/twilio/voice", method="POST",
                                         data=b"CallSid=CA" + b"0" * 32)
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=5)
        assert refused.value.code == 403
        # `hotline call --url` signs with the local token and is answered.
        result = subprocess.run(
            [sys.executable, "-m", "hotline", "call", "--url", server.url, "--to", LINE,
             "--keys", "1 2 r15 2"],
            cwd=server_env["HOTLINE_INSTANCE_PATH"], env=server_env, capture_output=True,
            text=True, timeout=60)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "1 recording(s)" in result.stdout
    finally:
        output = server.stop()
    assert "TWILIO_AUTH_TOKEN is not set" in output
    assert "8613800138000" not in output  # no caller numbers in the server's log


class Alternating:
    """Sends each request of a call to the next server in turn, signed for that server."""

    def __init__(self, servers: list[Server], token: str) -> None:
        self.servers = servers
        self.http = HttpTransport(token)
        self.turn = 0

    def post(self, url: str, params: dict[str, str]) -> tuple[int, str]:
        server = self.servers[self.turn % len(self.servers)]
        self.turn += 1
        parts = urllib.parse.urlsplit(url)
        target = server.url + parts.path + (f"?{parts.query}" if parts.query else "")
        return self.http.post(target, params)


def drained(instance: str | Path, timeout: float = 15.0) -> None:
    """Wait until the host's journal writer has brought every fact to the database."""
    from journal import Journal

    journal = Journal(Path(instance) / "journal.sqlite3")
    deadline = time.monotonic() + timeout
    while journal.stats().depth and time.monotonic() < deadline:
        time.sleep(0.05)
    assert journal.stats().depth == 0, "the journal did not drain"
    journal.close()


def _counts(engine: Engine) -> tuple[int, int, int]:
    with Session(engine) as session:
        return (session.scalar(select(func.count()).select_from(Call)),
                session.scalar(select(func.count()).select_from(CallEvent)),
                session.scalar(select(func.count()).select_from(Report)))


def test_two_servers_keep_one_call_log(two_servers, engine, server_env) -> None:
    first, second, token = two_servers
    transport = Alternating([first, second], token)
    script = ["1", "1", "r30", "1", "2", "r10", "2"]  # Mandarin, two reports, finish
    result = CallSimulator(transport, first.url, ScriptedCaller(script),
                           from_number="+8613800138000", to_number=LINE).run()
    assert transport.turn >= 8
    drained(server_env["HOTLINE_INSTANCE_PATH"])
    calls, events, reports = _counts(engine)
    assert (calls, reports) == (1, 2)
    with Session(engine) as session:
        call = session.scalar(select(Call))
        assert call.call_sid == result.call_sid
        assert call.outcome == "reported"
        assert [e.step_no for e in call.events] == list(range(events))
    # The command line reads the same log the servers wrote.
    output = subprocess.run([sys.executable, "-m", "hotline", "export", "calls"],
                            cwd=server_env["HOTLINE_INSTANCE_PATH"], env=server_env,
                            capture_output=True, text=True, timeout=60, check=True).stdout
    exported = json.loads(output)
    assert [(c["call_sid"], c["outcome"], len(c["reports"])) for c in exported] == [
        (result.call_sid, "reported", 2)]


def test_concurrent_duplicate_callbacks_make_one_row(two_servers, engine, server_env) -> None:
    first, second, token = two_servers
    http = HttpTransport(token)
    call_sid = new_sid("CA")
    common = {"CallSid": call_sid, "From": "+8613800138000", "To": LINE,
              "CallStatus": "in-progress"}
    recording = {"CallSid": call_sid, "RecordingSid": new_sid("RE"),
                 "RecordingStatus": "completed", "RecordingUrl": "https://api.twilio.com/x",
                 "RecordingDuration": "30"}
    state = "?n=4&l=cmn&c=political&ref=41052780"
    requests = []
    for server in (first, second):
        for _ in range(4):
            requests.append((server.url + "/twilio/voice", common))
            requests.append((server.url + "/twilio/recording" + state + "&cid=test-line",
                             recording))
            requests.append((server.url + "/twilio/step/recorded" + state,
                             {**common, **recording, "Digits": "#"}))
            requests.append((server.url + "/twilio/status",
                             {**common, "CallStatus": "completed", "CallDuration": "80"}))
    barrier = threading.Barrier(len(requests))
    statuses: list[int] = []

    def fire(url: str, params: dict[str, str]) -> None:
        barrier.wait()
        statuses.append(http.post(url, params)[0])

    threads = [threading.Thread(target=fire, args=request) for request in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(set(statuses)) == [200, 204]
    drained(server_env["HOTLINE_INSTANCE_PATH"])
    calls, events, reports = _counts(engine)
    assert (calls, reports) == (1, 1)
    assert events == 2  # the greeting (step 0) and the recorded step (4), once each
    with Session(engine) as session:
        call = session.scalar(select(Call))
        assert call.outcome == "reported"
        assert call.reports[0].reference == "41052780"


def test_a_fresh_database_is_prepared_then_served(empty_engine, tmp_path) -> None:
    """SQLite upgrades itself on `serve`; PostgreSQL only through `hotline db upgrade`."""
    campaigns = tmp_path / "campaigns"
    campaigns.mkdir()
    write_campaign(campaigns, hours='["00:00", "24:00"]', closes="2099-12-31")
    instance = tmp_path / "instance"
    instance.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "HOTLINE_"))}
    env.update({"HOTLINE_DATABASE_URL": empty_engine.url.render_as_string(hide_password=False),
                "HOTLINE_CAMPAIGNS": str(campaigns), "HOTLINE_INSTANCE_PATH": str(instance),
                "PYTHONPATH": str(ROOT)})

    def hotline(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "hotline", *args], cwd=instance, env=env,
                              capture_output=True, text=True, timeout=120)

    if empty_engine.dialect.name == "postgresql":
        refused = hotline("serve", "--port", str(free_port()))
        assert refused.returncode == 2
        assert "run `hotline db upgrade`" in refused.stderr
        upgraded = hotline("db", "upgrade")
        assert upgraded.returncode == 0, upgraded.stderr
        assert "database at revision" in upgraded.stdout
        assert "(up to date)" in hotline("db", "current").stdout
    server = Server(env, workers=4)
    try:
        token = (instance / "twilio-local-auth-token").read_text().strip()
        result = CallSimulator(HttpTransport(token), server.url,
                               ScriptedCaller(["1", "1", "r20", "2"]),
                               from_number="+8613800138000", to_number=LINE).run()
        drained(instance)
    finally:
        output = server.stop()
    assert "Traceback" not in output and "journal append failed" not in output
    exported = json.loads(hotline("export", "calls").stdout)
    assert [(c["call_sid"], c["outcome"]) for c in exported] == [(result.call_sid, "reported")]
