"""The person at the keyboard in `hotline call`, and the simulator's clock override."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, datetime, tzinfo

import click

from hotline.simulator import HANGUP

KEYS = set("0123456789*#")


class TerminalCaller:
    """Prints what the caller hears and reads their keys from standard input."""

    def __init__(self) -> None:
        self.interactive = sys.stdin.isatty()

    def hear(self, text: str) -> None:
        click.echo(click.style("  ☎ ", fg="cyan") + text)

    def _ask(self, question: str) -> str:
        try:
            answer = click.prompt(question, default="", show_default=False)
        except (EOFError, click.Abort):
            return "h"
        if not self.interactive:
            click.echo(answer)
        return answer.strip()

    def press(self) -> str | None:
        while True:
            answer = self._ask("key (0-9 * #; a reference: its digits then #; Enter = silence; "
                               "h = hang up)")
            if answer == "":
                return None
            if answer.lower() == "h":
                return HANGUP
            if answer in KEYS:
                return answer
            if len(answer) > 1 and answer.rstrip("#").isdigit():
                return answer  # a reference number, typed whole (the simulator drops the '#')
            click.echo("  one key please: 0-9, * or #; or a reference number's digits then #")

    def speak(self) -> int | str | None:
        while True:
            answer = self._ask("speak for how many seconds? (Enter = silence; h = hang up)")
            if answer == "":
                return None
            if answer.lower() == "h":
                return HANGUP
            if answer.isdigit() and int(answer) > 0:
                return int(answer)
            click.echo("  a number of seconds, please")

    def officer_answers(self) -> bool:
        return self._ask("does the duty officer pick up? (y/N)").lower().startswith("y")


def parse_local(text: str) -> datetime:
    """'2023-06-01 10:00' (seconds optional, 'T' allowed) as a naive local time."""
    for pattern in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S",
                    "%Y-%m-%dT%H:%M"):
        try:
            return datetime.strptime(text.strip(), pattern)
        except ValueError:
            continue
    raise ValueError(f'{text!r} is not a local time like "2023-06-01 10:00"')


def shifted_clock(text: str, zone: tzinfo) -> Callable[[], datetime]:
    """A clock that starts at local time `text` in `zone` and runs at normal speed."""
    start = parse_local(text).replace(tzinfo=zone).astimezone(UTC)
    origin = datetime.now(UTC)
    return lambda: start + (datetime.now(UTC) - origin)
