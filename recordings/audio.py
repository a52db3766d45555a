"""WAV in and out: what a download holds (rate, length) and PCM for the vocoder."""

from __future__ import annotations

import io
import wave
from dataclasses import dataclass

import numpy as np


class NotAudio(ValueError):
    """The bytes are not a WAV this app can read."""


@dataclass(frozen=True)
class Pcm:
    samples: np.ndarray  # float64 in [-1, 1], mono
    rate: int

    @property
    def seconds(self) -> float:
        return len(self.samples) / self.rate


def wav_seconds(data: bytes) -> float:
    """The duration of a WAV file, from its header and data size."""
    try:
        with wave.open(io.BytesIO(data)) as reader:
            frames: int = reader.getnframes()
            rate: int = reader.getframerate()
            return frames / rate
    except (wave.Error, EOFError, ZeroDivisionError) as exc:
        raise NotAudio(f"not a WAV file ({exc})") from None


def read_pcm(data: bytes) -> Pcm:
    """Mono float samples of a 16-bit (or 8-bit) PCM WAV; channels are averaged."""
    try:
        with wave.open(io.BytesIO(data)) as reader:
            width, channels, rate = (reader.getsampwidth(), reader.getnchannels(),
                                     reader.getframerate())
            frames = reader.readframes(reader.getnframes())
    except (wave.Error, EOFError) as exc:
        raise NotAudio(f"not a WAV file ({exc})") from None
    if width == 2:
        samples = np.frombuffer(frames, dtype="<i2").astype(np.float64) / 32768.0
    elif width == 1:
        samples = (np.frombuffer(frames, dtype=np.uint8).astype(np.float64) - 128.0) / 128.0
    else:
        raise NotAudio(f"{8 * width}-bit samples are not supported")
    if channels > 1:
        samples = samples.reshape(-1, channels).mean(axis=1)
    return Pcm(samples, rate)


def write_wav(pcm: Pcm) -> bytes:
    """16-bit mono PCM WAV; a signal that would clip is scaled down, not clipped."""
    peak = float(np.max(np.abs(pcm.samples))) if len(pcm.samples) else 0.0
    samples = pcm.samples / peak * 0.98 if peak > 0.98 else pcm.samples
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(pcm.rate)
        writer.writeframes(np.round(samples * 32767.0).astype("<i2").tobytes())
    return buffer.getvalue()
