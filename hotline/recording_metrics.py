"""/metrics for recordings at rest, read from the database at scrape time."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import SQLAlchemyError

from db.models import Report
from db.recording_models import RecordingFile, RecordingState


class RecordingsCollector(Collector):
    def __init__(self, engine: Engine, on_error: Callable[[str], None],
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.engine = engine
        self.on_error = on_error
        self.clock = clock

    def collect(self) -> Iterator[GaugeMetricFamily]:
        states = GaugeMetricFamily(
            "hotline_recordings", "Recordings by where they are (at_twilio, failed, "
            "downloaded, deleted at Twilio, purged)", labels=["state"])
        confirmed = GaugeMetricFamily(
            "hotline_recordings_confirmed", "Recordings Twilio confirmed (any campaign)")
        waiting = GaugeMetricFamily(
            "hotline_recordings_oldest_waiting_seconds",
            "Age of the oldest recording not yet home (0: none waiting)")
        try:
            with self.engine.connect() as connection:
                counts = {state: count for state, count in connection.execute(
                    select(RecordingFile.state, func.count()).group_by(RecordingFile.state))}
                total = connection.execute(select(func.count()).select_from(Report).where(
                    Report.recording_status == "completed")).scalar() or 0
                oldest = connection.execute(select(func.min(RecordingFile.queued_at)).where(
                    RecordingFile.state.in_([RecordingState.AT_TWILIO.value,
                                             RecordingState.FAILED.value]))).scalar()
        except SQLAlchemyError:
            self.on_error("metrics")
            return
        for state in RecordingState:
            states.add_metric([state.value], counts.get(state.value, 0))
        confirmed.add_metric([], total)
        if isinstance(oldest, str):  # SQLite hands back text for an aggregate
            oldest = datetime.fromisoformat(oldest)
        age = 0.0
        if oldest is not None:
            age = max(0.0, (self.clock() - oldest.replace(tzinfo=UTC)).total_seconds())
        waiting.add_metric([], age)
        yield states
        yield confirmed
        yield waiting
