"""The disguise moves the voice (pitch ≥ 3 semitones, formants), keeps the speech (same
length, same loudness contour), and draws a new secret shift for each report."""

from __future__ import annotations

import pytest
from speech import (
    envelope_correlation,
    mean_formants,
    median_f0,
    seconds_of,
    semitones,
    speak,
    spectral_centroid,
)

from recordings.disguise import Shift, disguised_wav


@pytest.fixture(scope="module")
def voices(speech_wav, tmp_path_factory) -> dict[str, bytes]:  # type: ignore[no-untyped-def]
    folder = tmp_path_factory.mktemp("voices")
    return {"low": speech_wav,
            "high": speak(folder, voice="en+f3"),
            "mandarin": speak(folder, "市长去年春天收了建筑商的钱，账目后来被改过。", "cmn")}


@pytest.mark.parametrize("voice", ["low", "high", "mandarin"])
def test_a_disguised_voice_is_another_voice_saying_the_same_thing(voices, voice) -> None:
    original = voices[voice]
    for _ in range(3):  # each draw is a new random shift
        disguised = disguised_wav(original)
        moved = semitones(median_f0(original), median_f0(disguised))
        assert abs(moved) >= 3, f"pitch moved only {moved:.2f} semitones"
        # The spectral envelope moves: the first formant and the spectrum's centre of
        # gravity both shift by more than 5 %.
        first_formant = mean_formants(disguised)[0] / mean_formants(original)[0]
        centre = spectral_centroid(disguised) / spectral_centroid(original)
        assert abs(first_formant - 1) >= 0.05 and abs(centre - 1) >= 0.05, (first_formant,
                                                                              centre)
        assert abs(seconds_of(disguised) / seconds_of(original) - 1) <= 0.02
        # Intelligibility proxy: syllables and pauses stay where they were.
        assert envelope_correlation(original, disguised) >= 0.8


def test_the_shift_is_drawn_at_random_both_ways() -> None:
    shifts = [Shift.draw() for _ in range(200)]
    assert all(4 <= abs(s.semitones) <= 7 for s in shifts)
    assert {s.semitones > 0 for s in shifts} == {True, False}
    assert all((s.semitones > 0) == (s.formant_ratio > 1) for s in shifts)
    assert len({round(s.semitones, 6) for s in shifts}) == 200  # no two reports alike


def test_a_voice_is_never_pushed_out_of_the_human_range(voices) -> None:
    low = voices["low"]  # about 100 Hz: 7 semitones down would leave the vocoder's range
    disguised = disguised_wav(low, Shift(-7.0, 1 / 1.2))
    assert semitones(median_f0(low), median_f0(disguised)) >= 3  # turned upwards instead
