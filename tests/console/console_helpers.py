"""Helpers for the console tests (fixtures are in conftest.py)."""

from __future__ import annotations

import re

from argon2 import PasswordHasher

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
TWILIO_TOKEN = "f" * 32
PASSWORD = "correct horse battery staple"
ROLES = ("operator", "manager", "admin")
# Argon2id with small costs: the same code path as production, a thousandth of the time.
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(client, path: str = "/console/login") -> str:  # type: ignore[no-untyped-def]
    page = client.get(path)
    match = CSRF.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {path} ({page.status_code})"
    return match.group(1)


def sign_in(client, name: str, password: str = PASSWORD,  # type: ignore[no-untyped-def]
            address: str = "10.0.0.1"):
    token = csrf_token(client)
    return client.post("/console/login", data={"csrf_token": token, "name": name,
                                               "password": password},
                       environ_base={"REMOTE_ADDR": address})


def run_cli(settings, *args: str, stdin: str | None = None):  # type: ignore[no-untyped-def]
    """`hotline ARGS…` against the test's database and campaigns."""
    from click.testing import CliRunner

    from hotline.cli import main

    return CliRunner().invoke(main, list(args), input=stdin, env={
        "HOTLINE_DATABASE_URL": settings.database_url,
        "HOTLINE_CAMPAIGNS": str(settings.campaigns_path)})


def post(client, path: str, data: dict[str, str] | None = None,  # type: ignore[no-untyped-def]
         page: str = "/console/account"):
    """A form post with a valid CSRF token taken from a page the client can open."""
    return client.post(path, data={"csrf_token": csrf_token(client, page), **(data or {})})
