"""Side-by-side timing for the bench scripts (importable as ``timing`` when a script runs from bench/)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def paired_times(
    fn_a: Callable[[], object],
    fn_b: Callable[[], object],
    repeats: int,
    clock: Callable[[], float] = time.perf_counter,
) -> tuple[float, float, float]:
    """Call ``fn_a`` and ``fn_b`` alternately ``repeats`` times (after a warm-up of each); returns the median time
    of each and the median of the per-pair ratios b/a, which is robust to load drifting during the run."""
    fn_a(), fn_b()
    ta, tb = [], []
    for _ in range(repeats):
        for fn, times in ((fn_a, ta), (fn_b, tb)):
            t0 = clock()
            fn()
            times.append(clock() - t0)
    ratio = statistics.median(b / a for a, b in zip(ta, tb, strict=True))
    return statistics.median(ta), statistics.median(tb), ratio
