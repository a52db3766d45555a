"""Behind a proxy: which X-Forwarded-* headers are believed, and who may read /metrics."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from flask import request

from hotline.app import create_app
from hotline.settings import Settings, SettingsError
from tests.helpers import ROOT

TOKEN = "m" * 40


def _app(settings, engine, clock, campaigns, **changes):  # type: ignore[no-untyped-def]
    app = create_app(replace(settings, **changes), clock=clock, campaigns=campaigns,
                     engine=engine, drain_inline=True)

    @app.get("/_seen")
    def _seen() -> dict[str, str]:  # what a view would build its URLs and logs from
        return {"url": request.url, "remote": request.remote_addr or "",
                "script": request.script_root}

    return app


FORGED = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https",
          "X-Forwarded-Host": "evil.example", "X-Forwarded-Port": "8443",
          "X-Forwarded-Prefix": "/elsewhere"}


def test_only_for_and_proto_are_trusted_from_the_proxy(settings, engine, clock,
                                                       campaigns) -> None:
    app = _app(settings, engine, clock, campaigns, proxy_hops=1)
    seen = app.test_client().get("/_seen", headers=FORGED,
                                 environ_base={"REMOTE_ADDR": "127.0.0.1"}).get_json()
    assert seen == {"url": "https://localhost/_seen", "remote": "203.0.113.9", "script": ""}


def test_host_port_and_prefix_only_when_a_setting_names_them(settings, engine, clock,
                                                              campaigns) -> None:
    app = _app(settings, engine, clock, campaigns, proxy_hops=1,
               proxy_headers=frozenset({"host", "prefix"}))
    seen = app.test_client().get("/_seen", headers=FORGED).get_json()
    assert seen["url"] == "https://evil.example/elsewhere/_seen"  # the port stays untrusted
    assert seen["script"] == "/elsewhere"


def test_without_proxy_hops_no_forwarded_header_is_believed(settings, engine, clock,
                                                            campaigns) -> None:
    app = _app(settings, engine, clock, campaigns)
    seen = app.test_client().get("/_seen", headers=FORGED,
                                 environ_base={"REMOTE_ADDR": "198.51.100.4"}).get_json()
    assert seen == {"url": "http://localhost/_seen", "remote": "198.51.100.4", "script": ""}


def test_the_proxy_headers_setting_is_checked(tmp_path: Path) -> None:
    assert Settings.from_env({"HOTLINE_PROXY_HEADERS": "Host, prefix"},
                             instance_path=tmp_path).proxy_headers == {"host", "prefix"}
    with pytest.raises(SettingsError, match="HOTLINE_PROXY_HEADERS: for is not one of"):
        Settings.from_env({"HOTLINE_PROXY_HEADERS": "for"}, instance_path=tmp_path)


@pytest.mark.parametrize("peer", ["203.0.113.9", "10.0.0.5", "::ffff:192.0.2.1"])
def test_metrics_are_refused_to_another_peer_without_the_token(settings, engine, clock,
                                                               campaigns, peer) -> None:
    client = _app(settings, engine, clock, campaigns, metrics_token=TOKEN).test_client()
    refused = client.get("/metrics", environ_base={"REMOTE_ADDR": peer})
    assert refused.status_code == 403 and b"hotline_" not in refused.data
    wrong = client.get("/metrics", environ_base={"REMOTE_ADDR": peer},
                       headers={"Authorization": "Bearer " + "x" * 40})
    assert wrong.status_code == 403
    allowed = client.get("/metrics", environ_base={"REMOTE_ADDR": peer},
                         headers={"Authorization": f"Bearer {TOKEN}"})
    assert allowed.status_code == 200 and b"hotline_journal_depth" in allowed.data


def test_metrics_without_a_token_setting_are_for_loopback_only(settings, engine, clock,
                                                              campaigns) -> None:
    client = _app(settings, engine, clock, campaigns).test_client()
    for peer in ("127.0.0.1", "::1"):
        assert client.get("/metrics", environ_base={"REMOTE_ADDR": peer}).status_code == 200
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "192.0.2.1"},
                      headers={"Authorization": "Bearer "}).status_code == 403


def test_a_forwarded_request_is_not_loopback_even_from_the_local_proxy(
        settings, engine, clock, campaigns) -> None:
    """nginx runs on the same host: whatever it forwards arrives from 127.0.0.1, with the
    client in X-Forwarded-For. Neither a forged nor a real X-Forwarded-For of 127.0.0.1
    opens /metrics."""
    for hops in (0, 1):
        client = _app(settings, engine, clock, campaigns, proxy_hops=hops).test_client()
        for forwarded in ("127.0.0.1", "203.0.113.9"):
            assert client.get("/metrics", headers={"X-Forwarded-For": forwarded},
                              environ_base={"REMOTE_ADDR": "127.0.0.1"}).status_code == 403


def test_the_nginx_site_clears_the_untrusted_headers_and_sends_hsts_for_subdomains() -> None:
    site = (ROOT / "deploy" / "nginx-hotline.conf").read_text()
    for header in ("X-Forwarded-Host", "X-Forwarded-Port", "X-Forwarded-Prefix"):
        assert f'proxy_set_header {header} "";' in site
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in site  # never the client's
    assert 'Strict-Transport-Security "max-age=31536000; includeSubDomains" always' in site


def test_production_refuses_a_short_metrics_token(tmp_path: Path) -> None:
    env = {"HOTLINE_ENV": "production", "HOTLINE_METRICS_TOKEN": "short"}
    problems = Settings.from_env(env, instance_path=tmp_path).production_problems()
    assert "HOTLINE_METRICS_TOKEN is shorter than 32 characters" in problems
    env["HOTLINE_METRICS_TOKEN"] = TOKEN
    assert not any("METRICS" in p for p in
                   Settings.from_env(env, instance_path=tmp_path).production_problems())
