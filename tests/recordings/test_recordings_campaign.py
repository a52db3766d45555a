"""The campaign file's recording fields: where recordings are kept, whose voice operators
hear, how long data stays; mistakes named with file, field and reason."""

from __future__ import annotations

from datetime import date

import pytest

from campaign.loader import load_campaign
from campaign.model import CampaignError
from tests.helpers import SEED_TOML, write_campaign


def test_defaults_bring_recordings_home_disguised_for_a_year() -> None:
    campaign = load_campaign(SEED_TOML)
    assert (campaign.recordings, campaign.voice_disguise, campaign.retention_days) == (
        "local", "playback", 365)
    assert campaign.purge_on == date(2024, 7, 26)  # 365 full days after 26 July 2023


def test_fields_are_read(tmp_path) -> None:
    campaign = load_campaign(write_campaign(
        tmp_path, recordings='"twilio"', voice_disguise='"off"', retention_days="0"))
    assert (campaign.recordings, campaign.voice_disguise) == ("twilio", "off")
    assert campaign.purge_on == date(2023, 7, 27)  # 0: as soon as the line has closed
    kept_at_twilio = load_campaign(write_campaign(tmp_path, "b.toml", recordings='"twilio"'))
    assert kept_at_twilio.voice_disguise == "off"  # nothing here to disguise
    always = load_campaign(write_campaign(tmp_path, "c.toml", voice_disguise='"always"'))
    assert always.voice_disguise == "always"


@pytest.mark.parametrize(("override", "field", "reason"), [
    ({"recordings": '"cloud"'}, "recordings", "one of local, twilio"),
    ({"voice_disguise": '"robot"'}, "voice_disguise", "one of off, playback, always"),
    ({"recordings": '"twilio"', "voice_disguise": '"always"'}, "voice_disguise",
     'needs recordings = "local"'),
    ({"retention_days": "-1"}, "retention_days", "between 0 and 36500"),
    ({"retention_days": '"a year"'}, "retention_days", "whole number"),
])
def test_mistakes_are_named(tmp_path, override, field, reason) -> None:
    with pytest.raises(CampaignError) as caught:
        load_campaign(write_campaign(tmp_path, **override))
    (problem,) = caught.value.problems
    assert problem.field == field and reason in problem.reason
