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


SECRET = re.compile(r'<code class="secret" id="secret">([A-Z2-7]+)</code>')
RECOVERY = re.compile(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>")


def totp(secret: str, at, steps: int = 0) -> str:  # type: ignore[no-untyped-def]
    """The real code an authenticator app shows at `at` (a datetime), `steps` away."""
    import pyotp

    return pyotp.TOTP(secret).at(at.timestamp() + 30 * steps)


def enrol(client, clock, name: str, password: str = PASSWORD,  # type: ignore[no-untyped-def]
          address: str = "10.0.0.1"):
    """One call: sign in where the second factor is required and enrol with a real code;
    the client is signed in afterwards. Returns (secret, recovery codes)."""
    response = sign_in(client, name, password, address)
    assert response.headers.get("Location") == "/console/login/enrol", response.status_code
    page = client.get("/console/login/enrol").get_data(as_text=True)
    match = SECRET.search(page)
    assert match, "no secret on the enrolment page"
    done = client.post("/console/login/enrol", data={
        "csrf_token": CSRF.search(page).group(1),  # type: ignore[union-attr]
        "code": totp(match.group(1), clock())}, environ_base={"REMOTE_ADDR": address})
    assert done.status_code == 200, done.get_data(as_text=True)
    codes = RECOVERY.findall(done.get_data(as_text=True))
    assert len(codes) == 10
    return match.group(1), codes


def send_code(client, code: str, address: str = "10.0.0.1"):  # type: ignore[no-untyped-def]
    token = csrf_token(client, "/console/login/code")
    return client.post("/console/login/code", data={"csrf_token": token, "code": code},
                       environ_base={"REMOTE_ADDR": address})
