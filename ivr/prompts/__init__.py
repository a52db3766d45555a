"""What the line says, in each language, loaded once from the TOML files beside this module.

Wording lives in the data files; this module only fills in placeholders and
formats times, dates, weekday lists and digit strings the way each language
says them.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from campaign.voices import SUPPORTED_LANGUAGES

_HERE = Path(__file__).parent

REQUIRED_TEXTS = (
    "language_name", "language_option", "welcome", "welcome_untitled",
    "menu_intro", "menu_category", "menu_not_listed", "menu_operator", "menu_repeat",
    "subject_intro", "subject_option", "referral", "record_notice", "record_empty",
    "record_failed", "reference", "after_report", "after_referral", "finish_with_reference",
    "no_input", "wrong_key", "goodbye", "too_many_tries",
    "operator_connecting", "operator_unavailable", "closed_now", "closed_today", "hours",
    "reopens", "not_open_yet", "every_day_but_some", "minutes", "seconds",
    "closed_for_good", "postal", "unknown_number", "technical_problem", "every_day",
    "when_today", "when_tomorrow", "when_on", "zone_format",
    "line_problem", "line_problem_message",
    "menu_followup", "followup_ask", "followup_not_found", "followup_limit",
    "followup_unreadable", "followup_state_new", "followup_state_handling",
    "followup_state_referred", "followup_state_closed", "followup_reply",
    "followup_options", "followup_added",
    "list_separator", "list_last_separator", "weekdays_format", "date_format",
    "time_format", "time_format_on_the_hour", "midnight", "digit_separator",
    "digit_group_separator", "weekday_range_format",
)


@dataclass(frozen=True)
class Prompts:
    """The phrases of one language."""

    language: str
    texts: Mapping[str, Any]

    def say(self, prompt: str, **values: object) -> str:
        # "at 5:30 p.m." may end a sentence: one full stop, not two.
        return str(self.texts[prompt]).format(**values).replace("..", ".")

    def digits(self, number: str) -> str:
        """A reference number spoken digit by digit, in groups with a longer pause between
        them, as people read numbers back: '4, 8, 2; 7, 1, 5; 9, 0, 3'. Nine digits go in
        threes; eight (the older references) in fours."""
        words = self.texts["digit_words"]
        size = 3 if len(number) % 3 == 0 else 4
        groups = [number[at:at + size] for at in range(0, len(number), size)]
        return str(self.texts["digit_group_separator"]).join(
            str(self.texts["digit_separator"]).join(words[int(d)] for d in group)
            for group in groups)

    def date(self, day: date) -> str:
        return str(self.texts["date_format"]).format(
            year=day.year, month=day.month, day=day.day,
            month_name=self.texts["month_names"][day.month - 1],
        )

    def time(self, moment: time | None) -> str:
        if moment is None:
            return str(self.texts["midnight"])
        if moment == time(12) and "noon" in self.texts:
            return str(self.texts["noon"])
        if self.texts.get("clock") == "periods":
            return self._period_time(moment)
        hour = moment.hour
        meridiem = ""
        if self.texts.get("clock") == 12:
            meridiem = self.texts["meridiem"][hour >= 12]
            hour = hour % 12 or 12
        template = "time_format_on_the_hour" if moment.minute == 0 else "time_format"
        return str(self.texts[template]).format(hour=hour, minute=moment.minute, meridiem=meridiem)

    def _period_time(self, moment: dt.time) -> str:
        """上午8点半, 下午5点半: the part of the day, then a 12-hour clock."""
        period = ""
        for first_hour, word in self.texts["periods"]:
            if moment.hour >= first_hour:
                period = word
        hour = moment.hour % 12 or 12  # 凌晨十二點半, not 凌晨零點半
        values = {"period": period, "hour": self.number(hour)}
        if moment.minute == 0:
            return str(self.texts["time_format_on_the_hour"]).format(**values)
        if moment.minute == 30:
            return str(self.texts["time_format_half"]).format(**values)
        minute = self.number(moment.minute)
        if moment.minute < 10:
            minute = str(self.texts.get("minute_leading_zero", "")) + minute
        return str(self.texts["time_format"]).format(minute=minute, **values)

    def number(self, n: int) -> str:
        """A small whole number (0–99) as this language writes it in speech."""
        if self.texts.get("numerals") != "chinese":
            return str(n)
        words = self.texts["digit_words"]
        if n < 10:
            return str(words[n])
        tens, ones = divmod(n, 10)
        head = ("" if tens == 1 else str(words[tens])) + "十"
        return head + (str(words[ones]) if ones else "")

    def when(self, opening: datetime, today: dt.date) -> str:
        """'today at 8:30 a.m.', 'tomorrow at …', or the weekday and date."""
        clock = self.time(opening.time().replace(tzinfo=None))
        day = opening.date()
        if day == today:
            return self.say("when_today", time=clock)
        if day == today + timedelta(days=1):
            return self.say("when_tomorrow", time=clock)
        return self.say("when_on", time=clock, day=day.day, month=day.month,
                        month_name=self.texts["month_names"][day.month - 1],
                        weekday=self.texts["weekday_names"][day.isoweekday() - 1])

    def zone(self, zone_name: str) -> str:
        """'Beijing time' for Asia/Shanghai, formatted to fit the hours sentence; '' when
        this language has no name for the zone."""
        name = self.texts.get("zone_names", {}).get(zone_name)
        return self.say("zone_format", name=name) if name else ""

    def duration(self, seconds: int) -> str:
        """A length of time as said: whole minutes when it is whole minutes, else seconds."""
        if seconds % 60 == 0:
            minutes = seconds // 60
            if minutes == 1 and "minutes_one" in self.texts:
                return str(self.texts["minutes_one"])
            return self.say("minutes", n=minutes)
        return self.say("seconds", n=seconds)

    def weekdays(self, days: Iterable[int], *, some_dates_closed: bool = False) -> str:
        """'every day', or the open weekdays as a spoken list."""
        chosen = sorted(set(days))
        if len(chosen) == 7:
            return str(self.texts["every_day_but_some" if some_dates_closed else "every_day"])
        names = [self.texts["weekday_names"][d - 1] for d in chosen]
        if len(chosen) >= 3 and chosen[-1] - chosen[0] == len(chosen) - 1:
            # Monday to Friday, not Monday, Tuesday, Wednesday, Thursday and Friday.
            return str(self.texts["weekday_range_format"]).format(first=names[0],
                                                                   last=names[-1])
        return str(self.texts["weekdays_format"]).format(days=self.join(names))

    def join(self, items: list[str]) -> str:
        if len(items) <= 1:
            return "".join(items)
        head = str(self.texts["list_separator"]).join(items[:-1])
        return f"{head}{self.texts['list_last_separator']}{items[-1]}"


def _check(language: str, texts: Mapping[str, Any]) -> None:
    missing = [key for key in REQUIRED_TEXTS if key not in texts]
    if missing:
        raise ValueError(f"ivr/prompts/{language}.toml: missing {', '.join(missing)}")
    if len(texts.get("digit_words", ())) != 10:
        raise ValueError(f"ivr/prompts/{language}.toml: digit_words needs ten words")
    if len(texts.get("weekday_names", ())) != 7:
        raise ValueError(f"ivr/prompts/{language}.toml: weekday_names needs seven names")
    if len(texts.get("month_names", ())) != 12:
        raise ValueError(f"ivr/prompts/{language}.toml: month_names needs twelve names")


@cache
def prompts_for(language: str) -> Prompts:
    """The phrases of `language`, read from disk the first time only."""
    if language not in SUPPORTED_LANGUAGES:
        raise KeyError(language)
    with open(_HERE / f"{language}.toml", "rb") as handle:
        texts = tomllib.load(handle)
    _check(language, texts)
    return Prompts(language, texts)
