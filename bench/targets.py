"""The issue's targets, judged against the bare endpoint of the same run: pass or miss."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bench.costs import describe
from bench.growth import FLAT, ratios

MEMORY_FLAT = 1.2  # late peak over early peak, after many times more calls


@dataclass(frozen=True)
class Verdict:
    database: str
    target: str
    figure: str
    passed: bool
    why: str = ""


def _calls(database: str, target: dict[str, Any], bare: dict[str, Any],
           spent: dict[str, Any] | None = None) -> list[Verdict]:
    sat, bsat = target["saturation"], bare["saturation"]
    paced, bpaced = target["paced"], bare["paced"]
    cpu = sat["cpu_per_request_ms"] / max(1e-9, bsat["cpu_per_request_ms"])
    rps = sat["rps"] / max(1e-9, bsat["rps"])
    p99 = paced["p99_ms"] / max(1e-3, bpaced["p99_ms"])
    capacity = target["capacity"] / max(1, bare["capacity"])
    memory = target["memory_late_mb"] / max(1e-9, target["memory_early_mb"])
    queueing = (f"the paced rate ({target['paced_rps']:.0f} req/s) is above what this server "
                f"saturates at ({sat['rps']:.0f} req/s), so requests queue"
                if target["paced_rps"] > sat["rps"] else "")
    cpu_why = (f"{sat['cpu_per_request_ms']:.2f} ms of server CPU per webhook against "
               f"{bsat['cpu_per_request_ms']:.2f} ms bare; "
               + (describe(spent) if spent else "the per-request work")
               + " (docs/performance.md: what each costs and what would close it)")
    return [
        Verdict(database, "server CPU per webhook ≤ 1.5× bare", f"{cpu:.2f}×", cpu <= 1.5,
                cpu_why),
        Verdict(database, "saturated throughput ≥ 0.7× bare", f"{rps:.2f}×", rps >= 0.7,
                cpu_why),
        Verdict(database, "paced p99 ≤ 2× bare and < 50 ms",
                f"{paced['p99_ms']:.1f} ms ({p99:.1f}×; bare {bpaced['p99_ms']:.1f} ms)",
                p99 <= 2 and paced["p99_ms"] < 50 and paced["errors"] == 0,
                queueing or f"{paced['errors']} errors" if paced["errors"] else queueing),
        Verdict(database, "capacity ≥ 0.7× bare",
                f"{target['capacity']} calls ({capacity:.2f}×; bare {bare['capacity']})",
                capacity >= 0.7, cpu_why),
        Verdict(database, f"peak memory flat (≤ {MEMORY_FLAT}× after more calls)",
                f"{target['memory_early_mb']:.0f} MB after {target['calls_early']} calls, "
                f"{target['memory_late_mb']:.0f} MB after {target['calls_late']}",
                memory <= MEMORY_FLAT),
    ]


def verdicts(calls: dict[str, Any] | None, growth: dict[str, Any] | None) -> list[Verdict]:
    found: list[Verdict] = []
    if calls:
        bare = calls["targets"]["bare"]
        for database, target in calls["targets"].items():
            if database != "bare":
                found.extend(_calls(database, target, bare,
                                    calls.get("costs", {}).get(database)))
    if growth:
        for database, per_size in growth["databases"].items():
            for read, ratio in ratios(per_size).items():
                found.append(Verdict(database, f"growth ≤ {FLAT}×: {read}", f"{ratio:.2f}×",
                                     ratio <= FLAT, "its query plan is printed above"
                                     if ratio > FLAT else ""))
    return found


def print_verdicts(found: list[Verdict]) -> None:
    print("\n== targets")
    for verdict in found:
        mark = "pass" if verdict.passed else "MISS"
        print(f"   {mark:<5}{verdict.database:<12}{verdict.target:<62}{verdict.figure}")
        if not verdict.passed and verdict.why:
            print(f"        why: {verdict.why}")
    missed = sum(not v.passed for v in found)
    print(f"   {len(found) - missed} passed, {missed} missed")


def markdown(calls: dict[str, Any] | None, growth: dict[str, Any] | None) -> str:
    """The ratio tables for docs/performance.md."""
    lines = []
    if calls:
        bare = calls["targets"]["bare"]
        lines += ["| database | CPU per webhook vs bare | throughput vs bare | paced p99 "
                  "(bare's) | capacity (bare's) | memory early → late |",
                  "|---|---|---|---|---|---|"]
        for database, t in calls["targets"].items():
            if database == "bare":
                continue
            cpu = t["saturation"]["cpu_per_request_ms"] / bare["saturation"]["cpu_per_request_ms"]
            lines.append(
                f"| {database} | {cpu:.2f}× "
                f"| {t['saturation']['rps'] / bare['saturation']['rps']:.2f}× "
                f"| {t['paced']['p99_ms']:.1f} ms ({bare['paced']['p99_ms']:.1f} ms) "
                f"| {t['capacity']} ({bare['capacity']}) "
                f"| {t['memory_early_mb']:.0f} → {t['memory_late_mb']:.0f} MB |")
    if growth:
        small, large = min(growth["sizes"]), max(growth["sizes"])
        kinds = list(growth["databases"])
        lines += ["", "| read | " + " | ".join(f"{k} {small:,} → {large:,} (ms)" for k in kinds)
                  + " |", "|---|" + "---|" * len(kinds)]
        names = list(next(iter(growth["databases"].values()))[large]) if kinds else []
        for name in names:
            cells = []
            for kind in kinds:
                per = growth["databases"][kind]
                cells.append(f"{per[small][name] * 1000:.1f} → {per[large][name] * 1000:.1f} "
                             f"({ratios(per)[name]:.2f}×)")
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
