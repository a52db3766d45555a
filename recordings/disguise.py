"""Voice disguise: the caller's pitch and formants shifted by a secret random amount.

Praat's "Change gender" (through praat-parselmouth) analyses the pitch, resynthesises
with PSOLA at a new median pitch and resamples the spectral envelope by a formant
ratio, keeping the duration: the same words at the same pace, in a voice that is
no longer the caller's own. Each report draws its own shift from the system's
random source, and the shift is never stored, so two reports of one caller carry
different shifts and no key undoes them. A disguise is not anonymity: word choice,
accent, pace and background sounds still travel (docs/security.md).
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass

import numpy as np
import parselmouth
from parselmouth.praat import call

from recordings.audio import Pcm, read_pcm, write_wav

PITCH_FLOOR, PITCH_CEILING = 75.0, 600.0
SEMITONES = (4.0, 7.0)  # the pitch moves by this much, up or down
FORMANT_RATIO = (1.10, 1.20)  # the envelope moves the same way by this factor
# The disguised voice's median pitch stays where a human voice is (and PSOLA works).
TARGET_RANGE = (85.0, 360.0)
DURATION_TOLERANCE = 0.02

_random = secrets.SystemRandom()


@dataclass(frozen=True)
class Shift:
    semitones: float      # signed
    formant_ratio: float  # > 1 raises the formants

    @classmethod
    def draw(cls) -> Shift:
        up = _random.random() < 0.5
        size = _random.uniform(*SEMITONES)
        ratio = _random.uniform(*FORMANT_RATIO)
        return cls(size if up else -size, ratio if up else 1 / ratio)

    def flipped(self) -> Shift:
        return Shift(-self.semitones, 1 / self.formant_ratio)


class DisguiseFailed(Exception):
    """The disguised copy could not be made or did not verify."""


def median_pitch(sound: parselmouth.Sound) -> float | None:
    pitch = sound.to_pitch(time_step=0.01, pitch_floor=PITCH_FLOOR, pitch_ceiling=PITCH_CEILING)
    voiced = pitch.selected_array["frequency"]
    voiced = voiced[voiced > 0]
    return float(np.median(voiced)) if len(voiced) else None


def disguise(pcm: Pcm, shift: Shift) -> Pcm:
    """The same speech with the pitch and formants moved by `shift`."""
    sound = parselmouth.Sound(pcm.samples, sampling_frequency=pcm.rate)
    median = median_pitch(sound)
    new_median = 0.0  # Praat: 0 keeps the pitch (a recording with no voiced speech)
    if median is not None:
        target = median * 2 ** (shift.semitones / 12)
        if not TARGET_RANGE[0] <= target <= TARGET_RANGE[1]:
            shift = shift.flipped()
            target = median * 2 ** (shift.semitones / 12)
        new_median = target
    changed = call(sound, "Change gender", PITCH_FLOOR, PITCH_CEILING, shift.formant_ratio,
                   new_median, 1.0, 1.0)
    samples = np.asarray(changed.values[0], dtype=np.float64)
    samples = np.nan_to_num(samples)
    return Pcm(samples, round(changed.sampling_frequency))


def disguised_wav(wav: bytes, shift: Shift | None = None) -> bytes:
    """A disguised WAV of `wav`, checked to be as long as the original (within 2 %)."""
    pcm = read_pcm(wav)
    if pcm.rate <= 0 or not len(pcm.samples):
        raise DisguiseFailed("the recording holds no audio")
    try:
        changed = disguise(pcm, shift or Shift.draw())
    except parselmouth.PraatError as exc:
        raise DisguiseFailed(f"the vocoder failed: {str(exc).splitlines()[0]}") from None
    if not math.isclose(changed.seconds, pcm.seconds, rel_tol=DURATION_TOLERANCE):
        raise DisguiseFailed(f"disguised copy is {changed.seconds:.2f} s, the original "
                             f"{pcm.seconds:.2f} s")
    return write_wav(changed)
