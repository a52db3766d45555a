"""The report e-mail and its delivery over SMTP.

HOTLINE_SMTP_URL says how to reach the mail server:

- `smtp://host:port`: plain SMTP (port 25 by default), no login.
- `smtp://user:pass@host:587?starttls=1`: upgrade with STARTTLS, then log in.
  (`starttls=1|true|yes`; port 587 by default when STARTTLS is asked for.)
- `smtps://user:pass@host:465`: TLS from the first byte (implicit TLS, port 465).
- `?timeout=SECONDS` (default 30) on any of them; `&cafile=/path/ca.pem` to trust a
  private certificate authority (an internal relay) instead of the system's.

User name and password are percent-decoded: write `%40` for `@`, `%23` for `#`,
`%2F` for `/`, `%3F` for `?` and `%3A` for `:` (unencoded, they end the login part
of the URL early). A login is only
sent over TLS unless the server is this machine: a password in clear text
across a network is refused with a clear error instead.
"""

from __future__ import annotations

import math
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from urllib.parse import parse_qs, unquote, urlsplit

from reports.chart import render_chart
from reports.figures import DailyFigures
from reports.render import (
    figures_for_csv_name,
    render_csv,
    render_html,
    render_text,
    subject_line,
)

TRUE = ("1", "true", "yes", "on")
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")


class MailConfigError(ValueError):
    """HOTLINE_SMTP_URL or HOTLINE_MAIL_FROM is wrong; the message names which and why."""


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str  # "plain" | "starttls" | "ssl"
    username: str | None = None
    password: str | None = None
    timeout: float = 30.0
    cafile: str | None = None

    @classmethod
    def from_url(cls, url: str) -> SmtpSettings:
        parts = urlsplit(url)
        encode = ("if the password (or user name) holds # / ? @ or :, percent-encode them "
                  "(%23 %2F %3F %40 %3A)")
        if parts.scheme not in ("smtp", "smtps"):
            raise MailConfigError("HOTLINE_SMTP_URL must start with smtp:// or smtps://, "
                                  "like smtp://user:pass@mail.example.org:587?starttls=1")
        try:
            host, port = parts.hostname, parts.port
        except ValueError:
            raise MailConfigError(f"HOTLINE_SMTP_URL has a port that is not a number; {encode}"
                                  ) from None
        if parts.fragment or (parts.path not in ("", "/")):
            raise MailConfigError(f"HOTLINE_SMTP_URL does not parse as smtp://user:pass@host:port;"
                                  f" {encode}")
        if not host:
            raise MailConfigError("HOTLINE_SMTP_URL names no mail server host")
        query = parse_qs(parts.query)
        unknown = set(query) - {"starttls", "timeout", "cafile"}
        if unknown:
            raise MailConfigError(f"HOTLINE_SMTP_URL: unknown option(s) {sorted(unknown)}; "
                                  "use starttls=1, timeout=SECONDS, cafile=PATH")
        starttls = query.get("starttls", ["0"])[-1].lower() in TRUE
        if parts.scheme == "smtps" and starttls:
            raise MailConfigError("HOTLINE_SMTP_URL: smtps:// is TLS already; drop starttls")
        security = "ssl" if parts.scheme == "smtps" else "starttls" if starttls else "plain"
        try:
            timeout = float(query.get("timeout", ["30"])[-1])
        except ValueError:
            raise MailConfigError("HOTLINE_SMTP_URL: timeout must be a number of seconds"
                                  ) from None
        if not math.isfinite(timeout) or timeout <= 0:
            raise MailConfigError("HOTLINE_SMTP_URL: timeout must be a number of seconds "
                                  "greater than 0")
        username = unquote(parts.username) if parts.username else None
        password = unquote(parts.password) if parts.password is not None else None
        if username and security == "plain" and host not in LOCAL_HOSTS:
            raise MailConfigError("HOTLINE_SMTP_URL: a login needs TLS (smtps:// or "
                                  "?starttls=1) unless the server is on this machine")
        default_port = {"ssl": 465, "starttls": 587, "plain": 25}[security]
        cafile = query.get("cafile", [None])[-1]
        if cafile and security == "plain":
            raise MailConfigError("HOTLINE_SMTP_URL: cafile is for TLS; add starttls=1 or use "
                                  "smtps://")
        return cls(host=host, port=port or default_port, security=security,
                   username=username, password=password, timeout=timeout, cafile=cafile)

    def describe(self) -> str:
        """Where mail goes, without the password (for logs and the CLI)."""
        login = f"{self.username}@" if self.username else ""
        return f"{self.security} {login}{self.host}:{self.port}"


def parse_mail_from(text: str) -> tuple[str, str]:
    """HOTLINE_MAIL_FROM ("hotline@example.org" or "Hotline <hotline@example.org>") as
    (address, domain); MailConfigError when it holds no usable address."""
    _name, address = parseaddr(text)
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain or "." not in domain or any(
            c in address for c in " <>,;"):
        raise MailConfigError(f"HOTLINE_MAIL_FROM {text!r} is not an e-mail address; write "
                              "hotline@example.org or \"Hotline <hotline@example.org>\"")
    return address, domain


class MailNotConfigured(MailConfigError):
    """HOTLINE_SMTP_URL or HOTLINE_MAIL_FROM is not set: no report can be sent."""


def mail_settings(smtp_url: str | None, mail_from: str | None) -> tuple[SmtpSettings, str]:
    """The mail server and the sender, checked: MailNotConfigured when either is unset,
    MailConfigError (naming the setting) when one is wrong."""
    if not smtp_url or not mail_from:
        raise MailNotConfigured("HOTLINE_SMTP_URL and HOTLINE_MAIL_FROM must be set to send "
                                "reports (e.g. smtp://user:pass@mail.example.org:587"
                                "?starttls=1)")
    parse_mail_from(mail_from)
    return SmtpSettings.from_url(smtp_url), mail_from


def build_message(figures: DailyFigures, *, mail_from: str, recipients: tuple[str, ...],
                  console_url: str | None = None) -> EmailMessage:
    """Text and HTML alternatives, the chart inline in the HTML, the CSV attached; the
    new reports link to the console at `console_url` (HOTLINE_PUBLIC_URL) when known."""
    message = EmailMessage()
    message["Subject"] = subject_line(figures)
    message["From"] = mail_from
    message["To"] = ", ".join(recipients)
    message["Date"] = formatdate(figures.generated_at.timestamp(), localtime=False)
    _address, domain = parse_mail_from(mail_from)
    message["Message-ID"] = make_msgid("daily-report", domain=domain)
    chart_id = make_msgid("chart", domain=domain)
    message.set_content(render_text(figures, console_url))
    message.add_alternative(render_html(figures, chart_src=f"cid:{chart_id[1:-1]}",
                                        console_url=console_url), subtype="html")
    html_part = message.get_body(preferencelist=("html",))
    assert html_part is not None  # just added
    html_part.add_related(render_chart(figures), maintype="image", subtype="png",
                          cid=chart_id, filename="chart.png", disposition="inline")
    message.add_attachment(render_csv(figures).encode(), maintype="text", subtype="csv",
                           filename=figures_for_csv_name(figures))
    return message


def send_message(message: EmailMessage, smtp: SmtpSettings) -> None:
    """Hand the message to the server; raises smtplib.SMTPException or OSError on failure."""
    context = ssl.create_default_context(cafile=smtp.cafile)
    client: smtplib.SMTP
    if smtp.security == "ssl":
        client = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=smtp.timeout, context=context)
    else:
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
    with client:
        client.ehlo()
        if smtp.security == "starttls":
            client.starttls(context=context)
            client.ehlo()
        if smtp.username:
            client.login(smtp.username, smtp.password or "")
        client.send_message(message)
