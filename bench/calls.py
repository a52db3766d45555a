"""Whole calls against `hotline serve` and against the bare endpoint, side by side in one run.

    python -m bench.calls [--databases sqlite,postgresql] [--quick]

For the bare endpoint first, then Hotline on each database (a fresh database
the bench makes and drops), with the same gunicorn settings:
1. saturation: 16 callers without pause; requests per second, server CPU per request;
2. paced latency: 40 % of the bare endpoint's saturated rate; p50/p95/p99 per step;
3. capacity: the most simultaneous calls at a real caller's pace (a request every
   8 s, compressed uniformly) held with p99 under 200 ms and no error.
Server CPU is user + system of the whole process tree from /proc; memory is the
peak sum of resident memory, early (saturation) and late (after every phase).
"""

from __future__ import annotations

import argparse
import json
import math
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench import costs, load, servers

WORKERS, THREADS = 2, 8
PACED_SHARE = 0.4
CAPACITY_P99 = 0.200


@dataclass(frozen=True)
class Timing:
    """How long each phase plays; quick mode is a smoke test, not a measurement."""

    warmup: float = 2.0
    saturation: float = 10.0
    paced: float = 15.0
    probe: float = 8.0
    probes: int = 7


FULL = Timing()
QUICK = Timing(warmup=0.3, saturation=1.0, paced=1.0, probe=1.0, probes=1)


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(share * len(ordered)) - 1))]


@dataclass
class Phase:
    requests: int
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: int
    server_cpu_s: float
    cpu_per_request_ms: float
    generator_cpu_s: float
    calls: int
    steps: dict[str, dict[str, float]] = field(default_factory=dict)
    error_samples: list[str] = field(default_factory=list)


def _phase(result: load.Result, server_cpu: float) -> Phase:
    every = [v for values in result.latencies.values() for v in values]
    steps = {step: {"n": len(values), "rps": len(values) / result.seconds,
                    "p50_ms": percentile(values, 0.5) * 1000,
                    "p95_ms": percentile(values, 0.95) * 1000,
                    "p99_ms": percentile(values, 0.99) * 1000,
                    "errors": result.errors.get(step, 0)}
             for step, values in sorted(result.latencies.items())}
    return Phase(requests=len(every), rps=len(every) / result.seconds,
                 p50_ms=percentile(every, 0.5) * 1000, p95_ms=percentile(every, 0.95) * 1000,
                 p99_ms=percentile(every, 0.99) * 1000, errors=result.error_count,
                 server_cpu_s=server_cpu,
                 cpu_per_request_ms=server_cpu / max(1, result.sent) * 1000,
                 generator_cpu_s=result.cpu, calls=result.calls, steps=steps,
                 error_samples=result.samples)


def _measure(server: servers.Server, bare: bool, **play: Any) -> tuple[Phase, int]:
    """One load phase; returns its figures and the server's peak memory during it."""
    watch = servers.MemoryWatch(server.pid)
    before = servers.tree_cpu_seconds(server.pid)
    result = load.play(server.url, servers.TOKEN, bare=bare, **play)
    cpu = servers.tree_cpu_seconds(server.pid) - before
    return _phase(result, cpu), watch.stop()


@dataclass
class Probe:
    calls: int
    p99_ms: float
    errors: int
    rps: float
    played: int  # calls completed in the probe

    @property
    def offered_rps(self) -> float:
        return self.calls / load.CALLER_PAUSE

    @property
    def held(self) -> bool:
        # Held: fast, no error, and the calls' pace was really served (a generator or a
        # server that falls behind lowers the rate instead of the latency).
        return (self.errors == 0 and self.p99_ms < CAPACITY_P99 * 1000
                and self.rps >= 0.85 * self.offered_rps)


def capacity(server: servers.Server, bare: bool, saturated_rps: float,
             timing: Timing) -> tuple[int, list[Probe], int]:
    """The most simultaneous calls at a caller's pace that hold p99 < 200 ms, no error."""
    probes: list[Probe] = []
    peak = 0

    def probe(calls: int) -> bool:
        nonlocal peak
        threads = max(2, min(calls, 48))
        phase, memory = _measure(server, bare, mode="pace", callers=threads, calls=calls,
                                 seconds=timing.probe, warmup=timing.warmup)
        peak = max(peak, memory)
        probes.append(Probe(calls, phase.p99_ms, phase.errors, phase.rps, phase.calls))
        return probes[-1].held

    # Start at half the saturated rate, in callers at 8 s per request.
    guess = max(2, round(0.5 * saturated_rps * load.CALLER_PAUSE))
    held, failed = 0, 0
    if probe(guess):
        held = guess
        while len(probes) < timing.probes - 2 and probe(round(held * 1.5)):
            held = probes[-1].calls
        failed = probes[-1].calls if not probes[-1].held else 0
    else:
        failed = guess
        while len(probes) < timing.probes - 2 and failed > 2:
            candidate = max(1, round(failed / 1.6))
            if probe(candidate):
                held = candidate
                break
            failed = candidate
    while failed and held and len(probes) < timing.probes and failed - held > max(2, held // 10):
        middle = (held + failed) // 2
        if probe(middle):
            held = middle
        else:
            failed = middle
    return held, probes, peak


def run_target(label: str, server: servers.Server, bare: bool, paced_rps: float | None,
               timing: Timing) -> dict[str, Any]:
    """Every phase against one server; paced_rps None means "measure and pace at 40 %"."""
    load.play(server.url, servers.TOKEN, mode="closed", callers=4, seconds=timing.warmup,
              warmup=0.2, bare=bare)
    saturation, memory_early = _measure(server, bare, mode="closed", callers=WORKERS * THREADS,
                                        seconds=timing.saturation, warmup=timing.warmup)
    rate = paced_rps if paced_rps is not None else PACED_SHARE * saturation.rps
    paced, _ = _measure(server, bare, mode="rate", callers=32, rate=rate,
                        seconds=timing.paced, warmup=timing.warmup)
    held, probes, memory_late = capacity(server, bare, saturation.rps, timing)
    return {"label": label, "saturation": asdict(saturation), "paced_rps": rate,
            "paced": asdict(paced), "capacity": held,
            "probes": [asdict(p) | {"held": p.held} for p in probes],
            "memory_early_mb": memory_early / 2**20, "memory_late_mb": memory_late / 2**20,
            "calls_early": saturation.calls,
            "calls_late": saturation.calls + paced.calls + sum(p.played for p in probes)}


def run(databases: list[str], timing: Timing, folder: Path) -> dict[str, Any]:
    started = time.time()
    out: dict[str, Any] = {"timing": asdict(timing), "workers": WORKERS, "threads": THREADS,
                           "targets": {}, "skipped": {}, "costs": {}}
    bare = servers.start_bare(folder / "bare", WORKERS, THREADS)
    try:
        out["targets"]["bare"] = run_target("bare", bare, True, None, timing)
    finally:
        bare.stop()
    paced_rps = out["targets"]["bare"]["paced_rps"]
    for kind in databases:
        if kind == "postgresql" and (reason := servers.postgres_reachable()):
            out["skipped"][kind] = reason
            continue
        with servers.bench_database(kind, folder / kind) as url:
            server = servers.start_hotline(folder / kind, url, WORKERS, THREADS)
            try:
                out["targets"][kind] = run_target(kind, server, False, paced_rps, timing)
            finally:
                log = server.stop()
            if "Traceback" in log:
                out["targets"][kind]["server_errors"] = log[log.index("Traceback"):][:2000]
            # Where the CPU went: the same mix in-process, by phase (bench/costs.py).
            out["costs"][kind] = asdict(costs.measure(
                url, folder / kind / "costs", calls=20 if timing is QUICK else 300))
    out["seconds"] = time.time() - started
    return out


def print_results(results: dict[str, Any]) -> None:
    for label, target in results["targets"].items():
        sat, paced = target["saturation"], target["paced"]
        print(f"\n== {label}: saturation {sat['rps']:.0f} req/s "
              f"(server CPU {sat['cpu_per_request_ms']:.2f} ms per request, generator CPU "
              f"{sat['generator_cpu_s']:.1f} s of {sat['server_cpu_s']:.1f} s server); "
              f"paced at {target['paced_rps']:.0f} req/s: p50 {paced['p50_ms']:.1f} ms, "
              f"p95 {paced['p95_ms']:.1f} ms, p99 {paced['p99_ms']:.1f} ms, "
              f"{paced['errors']} errors; capacity {target['capacity']} calls; memory "
              f"{target['memory_early_mb']:.0f} → {target['memory_late_mb']:.0f} MB")
        print(f"   {'step (paced)':<18}{'n':>7}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}"
              f"{'p99 ms':>9}{'errors':>8}")
        for step, row in paced["steps"].items():
            print(f"   {step:<18}{row['n']:>7}{row['rps']:>8.1f}{row['p50_ms']:>9.1f}"
                  f"{row['p95_ms']:>9.1f}{row['p99_ms']:>9.1f}{row['errors']:>8}")
        for sample in sat["error_samples"] + paced["error_samples"]:
            print(f"   error: {sample}")
    for kind, found in results.get("costs", {}).items():
        print(f"\n== {kind}, where a webhook's CPU goes: {costs.describe(found)}")
    for kind, reason in results["skipped"].items():
        print(f"\n== {kind}: skipped ({reason})")


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--quick", action="store_true", help="a smoke test: seconds, not minutes")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="hotline-bench-") as folder:
        results = run(args.databases.split(","), QUICK if args.quick else FULL, Path(folder))
    print_results(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return results


if __name__ == "__main__":
    main()
