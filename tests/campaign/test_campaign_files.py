"""Campaign files: the seed loads, and every mistake is named with file, field and reason."""

from __future__ import annotations

from datetime import date, time
from pathlib import Path

import pytest
from click.testing import CliRunner

from campaign.loader import load_campaign, load_campaigns
from campaign.model import CampaignError
from hotline.cli import main
from tests.helpers import SEED_TOML, write_campaign


def test_seed_campaign_encodes_the_announcement() -> None:
    campaign = load_campaign(SEED_TOML)
    assert campaign.id == "gz-2023"
    assert campaign.numbers == ("+862087756920",)
    assert campaign.timezone.key == "Asia/Shanghai"
    assert campaign.hours == (time(8, 30), time(17, 30))
    assert campaign.closes == date(2023, 7, 26)
    assert campaign.weekdays == frozenset(range(1, 8))
    assert campaign.languages == ("cmn", "yue", "en")
    assert [c.id for c in campaign.categories] == [
        "political", "organisational", "integrity", "mass", "work", "personal-life"]
    assert [c.label["yue"] for c in campaign.categories] == [
        "政治紀律", "組織紀律", "廉潔紀律", "群眾紀律", "工作紀律", "生活紀律"]
    assert [(s.id, s.in_scope) for s in campaign.subjects] == [
        ("city-leadership", True), ("next-level-leaders", True), ("key-post-leaders", True),
        ("other", False)]
    assert "A164" in campaign.postal_address["cmn"]


@pytest.mark.parametrize(("override", "field", "reason"), [
    ({"id": '"GZ 2023"'}, "id", "lowercase"),
    ({"id": None}, "id", "is required"),
    ({"numbers": '["020-87756920"]'}, "numbers[0]", "E.164"),
    ({"numbers": "[]"}, "numbers", "at least one"),
    ({"timezone": '"China/Guangzhou"'}, "timezone", "IANA"),
    ({"closes": '"2023-07-26"'}, "closes", "a date"),
    ({"closes": "2023-07-26T17:30:00"}, "closes", "without a time of day"),
    ({"closed_on": "[2023-06-22T00:00:00]"}, "closed_on", "no time"),
    ({"numbers": "[{ a = 1 }]"}, "numbers[0]", "E.164"),
    ({"id": '"' + "a" * 41 + '"'}, "id", "at most 40 characters"),
    ({"opens": "2023-08-01"}, "opens", "after closes"),
    ({"hours": '["17:30", "08:30"]'}, "hours", "must be after start"),
    ({"hours": '["8.30", "17:30"]'}, "hours", "HH:MM"),
    ({"weekdays": "[0, 8]"}, "weekdays", "ISO weekdays"),
    ({"languages": '["cmn", "fr"]'}, "languages", "not supported"),
    ({"operator": '"12345"'}, "operator", "E.164"),
    ({"max_message_seconds": "5"}, "max_message_seconds", "between 10 and 3600"),
    ({"max_message_seconds": "true"}, "max_message_seconds", "not a boolean"),
    ({"report_to": '["not-an-address"]'}, "report_to[0]", "e-mail"),
    ({"closing": "2023-07-26"}, "closing", "not a campaign field"),
    ({"title": '{ cmn = "巡视组" }'}, "title.en", "every language"),
    ({"report_language": '"yue"'}, "report_language", "not one of `languages` (cmn, en)"),
    ({"report_language": "3"}, "report_language", "must be"),
])
def test_a_bad_field_is_named_with_file_and_reason(tmp_path: Path, override: dict[str, str],
                                                   field: str, reason: str) -> None:
    path = write_campaign(tmp_path, **override)
    with pytest.raises(CampaignError) as caught:
        load_campaign(path)
    message = str(caught.value)
    assert f"{path}: {field}: " in message
    assert reason in message


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    path = write_campaign(tmp_path, timezone='"Nowhere/Else"', hours='["9", "17:30"]',
                          numbers='["12"]')
    with pytest.raises(CampaignError) as caught:
        load_campaign(path)
    fields = [problem.field for problem in caught.value.problems]
    assert fields == ["numbers[0]", "timezone", "hours"]


def test_category_mistakes_name_the_entry(tmp_path: Path) -> None:
    path = write_campaign(tmp_path)
    path.write_text(path.read_text().replace('key = "2"', 'key = "9"')
                    .replace(', en = "integrity discipline"', ""), encoding="utf-8")
    with pytest.raises(CampaignError) as caught:
        load_campaign(path)
    message = str(caught.value)
    assert "categories[1].key: must be one of 1, 2" in message
    assert "categories[1].label.en: is required" in message


def test_syntax_errors_and_missing_files_are_clear(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text('id = "x"\nhours = [08:30]\n')
    with pytest.raises(CampaignError, match=r"broken.toml: \(syntax\): not valid TOML"):
        load_campaign(broken)
    with pytest.raises(CampaignError, match=r"missing.toml: \(file\): does not exist"):
        load_campaign(tmp_path / "missing.toml")


def test_two_campaigns_cannot_share_a_number_or_an_id(tmp_path: Path) -> None:
    write_campaign(tmp_path, "a.toml", id='"line-a"')
    write_campaign(tmp_path, "b.toml", id='"line-b"')
    with pytest.raises(CampaignError, match=r"b.toml: numbers: \+14155550100 is also"):
        load_campaigns(tmp_path)
    write_campaign(tmp_path, "b.toml", id='"line-a"', numbers='["+14155550199"]')
    with pytest.raises(CampaignError, match=r"b.toml: id: 'line-a' is also used"):
        load_campaigns(tmp_path)


def test_campaigns_are_routed_by_the_dialled_number(tmp_path: Path) -> None:
    write_campaign(tmp_path, "a.toml", id='"line-a"')
    write_campaign(tmp_path, "b.toml", id='"line-b"', numbers='["+14155550199", "+14155550198"]')
    campaigns = load_campaigns(tmp_path)
    assert campaigns.for_number("+14155550100").id == "line-a"
    assert campaigns.for_number("+14155550198").id == "line-b"
    assert campaigns.for_number("+14155550000") is None


def test_campaigns_check_prints_every_problem_and_fails(tmp_path: Path) -> None:
    good = write_campaign(tmp_path, "good.toml")
    bad = write_campaign(tmp_path, "bad.toml", id='"Bad"', hours='["18:00", "09:00"]')
    result = CliRunner().invoke(main, ["campaigns", "check", str(good), str(bad)])
    assert result.exit_code == 1
    assert f"{good}: ok: test-line" in result.output
    assert f"{bad}: id: must be lowercase" in result.output
    assert f"{bad}: hours: end 09:00 must be after start 18:00" in result.output


def test_campaigns_check_accepts_the_seed() -> None:
    result = CliRunner().invoke(main, ["campaigns", "check", str(SEED_TOML)])
    assert result.exit_code == 0, result.output
    assert "ok: gz-2023 (+862087756920), 6 categories, closes 2023-07-26" in result.output


def test_a_bad_campaign_stops_start_up_with_one_message(tmp_path: Path, monkeypatch) -> None:
    bad = write_campaign(tmp_path, "bad.toml", timezone='"Mars/Olympus"')
    monkeypatch.setenv("HOTLINE_CAMPAIGNS", str(bad))
    monkeypatch.setenv("HOTLINE_DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite3'}")
    result = CliRunner().invoke(main, ["serve", "--port", "0"])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert f"{bad}: timezone: 'Mars/Olympus' is not an IANA time zone" in result.output


def test_the_report_is_in_the_first_language_unless_the_file_says(tmp_path: Path) -> None:
    assert load_campaign(write_campaign(tmp_path)).report_language == "cmn"
    chosen = load_campaign(write_campaign(tmp_path, report_language='"en"'))
    assert chosen.report_language == "en"
