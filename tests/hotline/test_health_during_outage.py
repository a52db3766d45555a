"""/healthz through a real outage: the database goes away, then comes back."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from db.engine import make_engine
from hotline.app import create_app


class TcpProxy:
    """Forwards 127.0.0.1:port to a database server; `stop()` is the server going down."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = 0
        self.connections: list[socket.socket] = []
        self.listener: socket.socket | None = None

    def start(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", self.port))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def stop(self) -> None:
        if self.listener:
            # shutdown() wakes the thread blocked in accept(); close() alone would not.
            with contextlib.suppress(OSError):
                self.listener.shutdown(socket.SHUT_RDWR)
            self.listener.close()
            self.listener = None
        for connection in self.connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
            connection.close()
        self.connections.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self.connections += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with contextlib.suppress(OSError):
                    end.close()


@pytest.fixture
def outage(engine: Engine, tmp_path: Path) -> Iterator[tuple[Engine, object, object]]:
    """(engine, take_down, bring_back) for the test's database."""
    url = engine.url
    if url.get_backend_name() == "postgresql":
        proxy = TcpProxy((url.host or "127.0.0.1", url.port or 5432))
        proxy.start()
        proxied = make_engine(url.set(host="127.0.0.1", port=proxy.port).render_as_string(
            hide_password=False) + "?connect_timeout=2")
        yield proxied, proxy.stop, proxy.start
        proxy.stop()
        proxied.dispose()
        return
    # SQLite: the database file goes missing (a failed disk, a wrong mount), then returns.
    copy = tmp_path / "live.sqlite3"
    # VACUUM cannot run in a transaction: straight to the driver, which is in autocommit.
    raw = engine.raw_connection()
    try:
        raw.driver_connection.execute(f"VACUUM INTO '{copy}'")
    finally:
        raw.close()
    live = make_engine(f"sqlite:///{copy}")
    hidden = tmp_path / "hidden.sqlite3"

    def take_down() -> None:
        live.dispose()
        shutil.move(copy, hidden)

    def bring_back() -> None:
        live.dispose()
        if copy.exists():
            os.remove(copy)
        shutil.move(hidden, copy)

    yield live, take_down, bring_back
    live.dispose()


def test_healthz_follows_the_database_down_and_back(outage, settings, clock, campaigns
                                                    ) -> None:
    engine, take_down, bring_back = outage
    app = create_app(replace(settings, database_url=str(make_url("sqlite://"))), clock=clock,
                     campaigns=campaigns, engine=engine)
    client = app.test_client()
    assert client.get("/healthz").get_json()["status"] == "ok"
    take_down()
    # The host still takes calls (into its journal): 200, and the body says why degraded.
    down = client.get("/healthz")
    assert down.status_code == 200
    assert down.get_json()["status"] == "degraded"
    assert down.get_json()["database"] != "ok"  # unreachable, or a blank file in its place
    bring_back()
    assert client.get("/healthz").get_json()["status"] == "ok"
