"""Speech the tests make themselves: espeak-ng speaks, sox makes it telephone audio
(8 kHz, 16-bit mono WAV, as Twilio records), and Praat measures it."""

from __future__ import annotations

import io
import math
import shutil
import subprocess
import wave
from pathlib import Path

import numpy as np
import parselmouth

SENTENCE = ("Please listen carefully. The deputy mayor took money from the building "
            "contractor last spring, and the accounts were changed afterwards.")


def have_tools() -> str | None:
    missing = [tool for tool in ("espeak-ng", "sox") if shutil.which(tool) is None]
    return f"speech tests need {' and '.join(missing)} (apt-get install espeak-ng sox)" \
        if missing else None


def speak(folder: Path, text: str = SENTENCE, voice: str = "en") -> bytes:
    """`text` spoken by espeak-ng, as an 8 kHz 16-bit mono WAV."""
    raw, phone = folder / "speech-raw.wav", folder / "speech-8k.wav"
    espeak, sox = shutil.which("espeak-ng"), shutil.which("sox")
    assert espeak and sox, have_tools()
    subprocess.run([espeak, "-v", voice, "-s", "150", "-w", str(raw), text], check=True,
                   capture_output=True)
    subprocess.run([sox, str(raw), "-r", "8000", "-b", "16", "-c", "1", str(phone)],
                   check=True, capture_output=True)
    return phone.read_bytes()


def fit(wav: bytes, seconds: float) -> bytes:
    """The WAV cut or padded with silence to exactly `seconds`."""
    with wave.open(io.BytesIO(wav)) as reader:
        rate = reader.getframerate()
        frames = np.frombuffer(reader.readframes(reader.getnframes()), dtype="<i2")
    wanted = round(seconds * rate)
    frames = np.concatenate([frames, np.zeros(max(0, wanted - len(frames)), dtype="<i2")])
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        writer.writeframes(frames[:wanted].tobytes())
    return buffer.getvalue()


def sound(wav: bytes) -> parselmouth.Sound:
    with wave.open(io.BytesIO(wav)) as reader:
        rate = reader.getframerate()
        samples = np.frombuffer(reader.readframes(reader.getnframes()), dtype="<i2")
    return parselmouth.Sound(samples.astype(np.float64) / 32768.0, sampling_frequency=rate)


def median_f0(wav: bytes) -> float:
    pitch = sound(wav).to_pitch(time_step=0.01, pitch_floor=50, pitch_ceiling=600)
    f0 = pitch.selected_array["frequency"]
    return float(np.median(f0[f0 > 0]))


def semitones(before: float, after: float) -> float:
    return 12 * math.log2(after / before)


def mean_formants(wav: bytes) -> tuple[float, float]:
    """Mean F1 and F2 (Hz) over the voiced frames: where the spectral envelope peaks."""
    snd = sound(wav)
    formants = snd.to_formant_burg(max_number_of_formants=4, maximum_formant=3800)
    pitch = snd.to_pitch(time_step=0.01, pitch_floor=50, pitch_ceiling=600)
    values: dict[int, list[float]] = {1: [], 2: []}
    for t in np.arange(0.05, snd.duration - 0.05, 0.01):
        if pitch.get_value_at_time(t) != pitch.get_value_at_time(t):  # NaN: unvoiced
            continue
        for n in (1, 2):
            value = formants.get_value_at_time(n, t)
            if value == value:
                values[n].append(value)
    return float(np.mean(values[1])), float(np.mean(values[2]))


def envelope_correlation(a: bytes, b: bytes) -> float:
    """How closely the loudness contour (syllables, pauses) of b follows a's: 1 = exactly."""
    def contour(wav: bytes) -> np.ndarray:
        intensity = sound(wav).to_intensity(minimum_pitch=100, time_step=0.01)
        return np.nan_to_num(intensity.values[0])
    x, y = contour(a), contour(b)
    n = min(len(x), len(y))
    return float(np.corrcoef(x[:n], y[:n])[0, 1])


def seconds_of(wav: bytes) -> float:
    with wave.open(io.BytesIO(wav)) as reader:
        return reader.getnframes() / reader.getframerate()


def spectral_centroid(wav: bytes) -> float:
    """The spectrum's centre of gravity (Hz): where the envelope's weight sits."""
    return float(sound(wav).to_spectrum().get_centre_of_gravity(2))
