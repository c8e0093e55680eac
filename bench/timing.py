"""Timing primitives: one core, warm-up, per-call ``perf_counter_ns``, percentiles; and
the text table the benchmarks print."""

from __future__ import annotations

import gc
import os
import time
from array import array
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import attrs

__all__ = [
    "Neighbours",
    "Timing",
    "best_mean_ns",
    "pin_to_one_core",
    "text_table",
    "time_calls",
]


def pin_to_one_core(cpu: int | None = None) -> int | None:
    """Pin this process to one CPU (the last allowed one by default); the CPU or None."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    allowed = sorted(os.sched_getaffinity(0))
    chosen = cpu if cpu is not None else allowed[-1]
    os.sched_setaffinity(0, {chosen})
    return chosen


class Neighbours:
    """How much CPU the other processes (and the hypervisor, as steal) took meanwhile.

    Reads /proc/stat; on a machine without it every figure stays None. A benchmark on a
    shared two-core machine is only as good as this figure is low.
    """

    def __init__(self) -> None:
        self._start = self._sample()

    @staticmethod
    def _sample() -> tuple[float, float, float, float] | None:
        stat = Path("/proc/stat")
        if not stat.is_file():
            return None
        fields = [int(x) for x in stat.read_text().split("\n", 1)[0].split()[1:]]
        user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
        tick = os.sysconf("SC_CLK_TCK")
        mine = os.times()
        busy = (user + nice + system + irq + softirq) / tick
        return busy, steal / tick, mine.user + mine.system, time.monotonic()

    def cores_used(self) -> tuple[float, float] | None:
        """(cores the other processes kept busy, cores stolen) on average since creation."""
        end = self._sample()
        if self._start is None or end is None:
            return None
        busy, steal, mine, wall = (b - a for a, b in zip(self._start, end, strict=True))
        return max(busy - mine, 0.0) / wall, steal / wall


@attrs.frozen
class Timing:
    """Per-call times of one row, in nanoseconds."""

    calls: int
    wall_ns: int
    p50_ns: int
    p99_ns: int
    mean_ns: float

    @property
    def per_second(self) -> float:
        """Calls per second over the whole timed loop (loop and timer included)."""
        return self.calls * 1e9 / self.wall_ns

    @classmethod
    def of(cls, samples: Sequence[int], wall_ns: int) -> Timing:
        ordered = sorted(samples)
        n = len(ordered)
        return cls(
            calls=n,
            wall_ns=wall_ns,
            p50_ns=ordered[n // 2],
            p99_ns=ordered[min(n - 1, (n * 99) // 100)],
            mean_ns=sum(ordered) / n,
        )


def time_calls(
    function: Callable[[Any], object], inputs: Sequence[Any], *, calls: int, warmup: int
) -> Timing:
    """Time *calls* calls of *function*, cycling through *inputs*, after *warmup* calls.

    The garbage collector stays enabled (a service runs with it), but starts each row
    from a clean heap so one row's garbage is not collected on the next row's clock.
    """
    count = len(inputs)
    for i in range(warmup):
        function(inputs[i % count])
    gc.collect()
    samples = array("q", bytes(8 * calls))
    clock = time.perf_counter_ns
    start = clock()
    for i in range(calls):
        item = inputs[i % count]
        before = clock()
        function(item)
        samples[i] = clock() - before
    wall = clock() - start
    return Timing.of(samples, wall)


def best_mean_ns(
    function: Callable[[Any], object], inputs: Sequence[Any], *, calls: int, rounds: int = 5
) -> float:
    """The lowest mean time per call over *rounds* rounds of *calls* calls, in ns.

    For comparing stages on a shared machine: a round that another process disturbed
    is slower, never faster, so the minimum is the most repeatable figure.
    """
    count = len(inputs)
    for i in range(max(calls // 5, count)):
        function(inputs[i % count])
    clock = time.perf_counter_ns
    best = float("inf")
    for _ in range(rounds):
        gc.collect()
        start = clock()
        for i in range(calls):
            function(inputs[i % count])
        best = min(best, (clock() - start) / calls)
    return best


def text_table(lines: Sequence[Sequence[str]], *, left: int) -> str:
    """*lines* (the header first) as aligned columns under a rule: the first *left*
    columns to the left, the others (figures) to the right."""
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    out = []
    for n, line in enumerate(lines):
        cells = [
            cell.ljust(w) if i < left else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(line, widths, strict=True))
        ]
        out.append("  ".join(cells).rstrip())
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)
