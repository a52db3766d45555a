"""Running it: health, metrics, proxies, production settings, the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from hotline.cli import main
from hotline.settings import Settings, SettingsError
from tests.helpers import AUTH_TOKEN, CALL, SEED_CAMPAIGNS, UNREACHABLE, signed_post


def test_healthz_says_ok_on_a_migrated_database(client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "journal": {
        "writable": True, "depth": 0, "parked": 0, "oldest_age_seconds": 0.0}}


def test_healthz_stays_200_when_the_database_is_unreachable(app, client) -> None:
    """Calls are still taken (into the journal), so the host stays in the balancer."""
    from db.engine import make_engine

    app.extensions["hotline.engine"] = make_engine(UNREACHABLE)
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["status"] == "degraded"
    assert response.get_json()["database"].startswith("database unreachable")


def test_healthz_names_an_unmigrated_database(app, client, tmp_path) -> None:
    from db.engine import make_engine

    app.extensions["hotline.engine"] = make_engine(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    response = client.get("/healthz")
    assert response.get_json()["status"] == "degraded"
    assert "not migrated: at empty" in response.get_json()["database"]


def test_metrics_count_calls_latency_and_refusals(client, place_call) -> None:
    place_call("1", "3", "1", "r30", "2")
    client.post("/twilio/voice", data=CALL)  # unsigned
    text = client.get("/metrics").get_data(as_text=True)
    assert 'hotline_calls{campaign="gz-2023",outcome="reported"} 1.0' in text
    assert 'hotline_webhook_seconds_count{step="voice"}' in text
    assert 'hotline_webhook_seconds_count{step="recorded"}' in text
    assert "hotline_signature_failures_total" in text
    assert "8613800138000" not in text


def test_settings_read_from_the_environment(tmp_path: Path) -> None:
    settings = Settings.from_env({
        "HOTLINE_DATABASE_URL": "postgresql://db/hotline", "HOTLINE_CAMPAIGNS": "x.toml",
        "TWILIO_AUTH_TOKEN": "t", "HOTLINE_PUBLIC_URL": "https://h.example.org",
        "HOTLINE_PROXY_HOPS": "1"}, instance_path=tmp_path)
    assert settings.database_url == "postgresql://db/hotline"
    assert settings.campaigns_path == Path("x.toml")
    assert settings.proxy_hops == 1
    default = Settings.from_env({}, instance_path=tmp_path)
    assert default.database_url == f"sqlite:///{(tmp_path / 'hotline.sqlite3').resolve()}"


@pytest.mark.parametrize(("env", "message"), [
    ({"HOTLINE_PUBLIC_URL": "hotline.example.org"}, "HOTLINE_PUBLIC_URL"),
    ({"HOTLINE_PUBLIC_URL": "https://h.example.org/?x=1"}, "without a query"),
    ({"HOTLINE_PROXY_HOPS": "many"}, "HOTLINE_PROXY_HOPS"),
    ({"HOTLINE_ENV": "staging"}, "HOTLINE_ENV"),
    ({"HOTLINE_IDLE_MINUTES": "0"}, "HOTLINE_IDLE_MINUTES"),
    ({"HOTLINE_IDLE_MINUTES": "half an hour"}, "HOTLINE_IDLE_MINUTES"),
    ({"HOTLINE_SECOND_FACTOR": "sometimes"}, "HOTLINE_SECOND_FACTOR"),
])
def test_bad_settings_are_named(env: dict[str, str], message: str, tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(env, instance_path=tmp_path)


def test_production_start_up_refuses_missing_settings(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("TWILIO_AUTH_TOKEN", "HOTLINE_SECRET_KEY", "HOTLINE_PUBLIC_URL",
                 "HOTLINE_DATABASE_URL", "HOTLINE_RECORDINGS_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOTLINE_ENV", "production")
    result = CliRunner().invoke(main, ["serve"])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    for name in ("HOTLINE_SECRET_KEY", "TWILIO_AUTH_TOKEN", "HOTLINE_PUBLIC_URL", "SQLite",
                 "HOTLINE_RECORDINGS_KEY"):
        assert name in lines[0]


def test_an_unreachable_database_stops_start_up_in_one_line(tmp_path: Path, monkeypatch
                                                            ) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOTLINE_CAMPAIGNS", str(SEED_CAMPAIGNS))
    monkeypatch.setenv("HOTLINE_DATABASE_URL",
                       "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2")
    result = CliRunner().invoke(main, ["serve"])
    assert result.exit_code == 2
    assert result.output.startswith("hotline: cannot reach the database")
    assert "Traceback" not in result.output


def test_forwarded_headers_are_trusted_for_the_configured_hops(settings, engine, clock,
                                                              campaigns) -> None:
    from dataclasses import replace

    from hotline.app import create_app

    app = create_app(replace(settings, proxy_hops=1), clock=clock, campaigns=campaigns,
                     engine=engine, drain_inline=True)
    client = app.test_client()
    # Without HOTLINE_PUBLIC_URL the signature covers the URL as requested: nginx passes
    # the Host it was asked for, and X-Forwarded-Proto rebuilds https://hotline.example.org/…
    response = signed_post(client, "/twilio/voice", CALL, base="https://hotline.example.org",
                           headers={"X-Forwarded-Proto": "https"})
    assert response.status_code == 200
    # Two forged hops are not believed when only one proxy is configured.
    assert signed_post(client, "/twilio/voice", CALL, base="http://hotline.example.org",
                       headers={"X-Forwarded-Proto": "http, https"}).status_code == 403
    # X-Forwarded-Host is not trusted without HOTLINE_PROXY_HEADERS=host: the URL stays
    # the one nginx was asked for.
    assert signed_post(client, "/twilio/voice", CALL, base="https://hotline.example.org",
                       headers={"X-Forwarded-Proto": "https",
                                "X-Forwarded-Host": "elsewhere.example.org"}).status_code \
        == 200
    hosted = create_app(replace(settings, proxy_hops=1, proxy_headers=frozenset({"host"})),
                        clock=clock, campaigns=campaigns, engine=engine, drain_inline=True)
    assert signed_post(hosted.test_client(), "/twilio/voice", CALL,
                       base="https://hotline.example.org",
                       headers={"X-Forwarded-Proto": "https",
                                "X-Forwarded-Host": "elsewhere.example.org"}).status_code \
        == 403


def test_export_filters_by_local_day_and_campaign(place_call, clock, runner, settings,
                                                  monkeypatch) -> None:
    clock.set_local("2023-06-01 08:45")
    first = place_call("1", "9", "-", "2")
    clock.set_local("2023-06-02 17:29")
    second = place_call("1", "3", "1", "r30", "2")
    monkeypatch.setenv("HOTLINE_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("HOTLINE_CAMPAIGNS", str(settings.campaigns_path))
    cli = CliRunner()
    everything = json.loads(cli.invoke(main, ["export", "calls"]).output)
    assert [c["call_sid"] for c in everything] == [first.call_sid, second.call_sid]
    june_2 = json.loads(cli.invoke(main, ["export", "calls", "--since", "2023-06-02"]).output)
    assert [c["call_sid"] for c in june_2] == [second.call_sid]
    june_1 = json.loads(cli.invoke(main, ["export", "calls", "--until", "2023-06-01",
                                          "--campaign", "gz-2023"]).output)
    assert [c["call_sid"] for c in june_1] == [first.call_sid]
    assert june_1[0]["started_at"] == "2023-06-01T08:45:00+08:00"
    csv_out = cli.invoke(main, ["export", "calls", "--format", "csv"]).output.splitlines()
    assert csv_out[0] == ("call_sid,campaign,from,to,started_at,ended_at,status,"
                          "duration_seconds,language,outcome,categories,references,follow_ups")
    assert csv_out[2].startswith(f"{second.call_sid},gz-2023,+8613800138000,+862087756920,")
    assert ",reported,integrity," in csv_out[2]
    assert csv_out[2].endswith(",new")
    unknown = cli.invoke(main, ["export", "calls", "--campaign", "nope"])
    assert unknown.exit_code == 2 and "no campaign 'nope'" in unknown.output


def test_call_command_places_a_call_at_another_time(settings, monkeypatch, engine) -> None:
    monkeypatch.setenv("HOTLINE_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("HOTLINE_CAMPAIGNS", str(settings.campaigns_path))
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", AUTH_TOKEN)
    cli = CliRunner()
    taken = cli.invoke(main, ["call", "--at", "2023-06-01 10:00", "--keys",
                              "3 3 1 r30 1 5 3 r20 2"])
    assert taken.exit_code == 0, taken.output
    assert "Your reference number is" in taken.output
    assert "2 recording(s)" in taken.output
    refused = cli.invoke(main, ["call", "--at", "2023-06-01 18:00", "--keys", ""])
    assert "from 8:30 a.m. to 5:30 p.m., Beijing time" in refused.output
    records = json.loads(cli.invoke(main, ["export", "calls"]).output)
    assert [r["outcome"] for r in records] == ["reported", "closed_hours"]
    assert len({r["reference"] for r in records[0]["reports"]}) == 2
    bad = cli.invoke(main, ["call", "--at", "tomorrow"])
    assert bad.exit_code == 2 and "is not a local time" in bad.output
    remote = cli.invoke(main, ["call", "--url", "http://127.0.0.1:9", "--at",
                               "2023-06-01 10:00"])
    assert remote.exit_code == 2 and "--at works only in-process" in remote.output


def test_the_home_page_leads_to_the_console_sign_in(client) -> None:
    home = client.get("/")
    assert home.status_code == 302 and home.headers["Location"].endswith("/console/")
    console = client.get("/console/", follow_redirects=True)
    assert console.status_code == 200
    assert "password" in console.get_data(as_text=True).lower()


@pytest.mark.parametrize(("env", "args", "message"), [
    ({"HOTLINE_DATABASE_URL": "mysql+nosuchdriver://x/y"}, ["db", "current"],
     "HOTLINE_DATABASE_URL: not a database URL"),
    ({"HOTLINE_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none?connect_timeout=1"},
     ["db", "downgrade", "base"], "cannot reach the database"),
    ({}, ["call", "--url", "http://127.0.0.1:9"], "TWILIO_AUTH_TOKEN is not set"),
])
def test_command_line_mistakes_are_one_line(env, args, message, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TWILIO_AUTH_TOKEN", raising=False)
    monkeypatch.setenv("HOTLINE_CAMPAIGNS", str(SEED_CAMPAIGNS))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1


def test_postgres_scheme_urls_are_understood() -> None:
    from db.engine import make_engine

    engine = make_engine("postgres://someone@db.example.org/hotline")
    assert engine.url.drivername == "postgresql+psycopg"


def test_processes_starting_together_agree_on_one_local_token(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    settings = Settings.from_env({}, instance_path=tmp_path / "instance")
    with ThreadPoolExecutor(8) as pool:
        tokens = list(pool.map(lambda _: settings.auth_token(create=True), range(16)))
    assert len({token for token, _ in tokens}) == 1
    assert all(is_local for _, is_local in tokens)
    assert [p.name for p in (tmp_path / "instance").iterdir()] == ["twilio-local-auth-token"]
    assert (tmp_path / "instance" / "twilio-local-auth-token").stat().st_mode & 0o777 == 0o600



def test_metrics_show_the_journal(client, place_call) -> None:
    def applied() -> float:
        text = client.get("/metrics").get_data(as_text=True)
        return float(next(line for line in text.splitlines()
                          if line.startswith("hotline_journal_applied_total ")).split()[1])

    before = applied()
    place_call("1", "3", "1", "r30", "2")
    # The greeting, five steps, the recording and the status callback.
    assert applied() - before == 8
    text = client.get("/metrics").get_data(as_text=True)
    assert "hotline_journal_depth 0.0" in text
    assert "hotline_journal_oldest_age_seconds 0.0" in text
    assert "hotline_journal_apply_failures_total" in text
