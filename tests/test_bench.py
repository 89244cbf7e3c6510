"""The benchmark's arithmetic: short alternating rounds merge into one figure per level."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

import load  # noqa: E402


def run(requests: int, seconds: float, latency_ms, cpu_ms: float = 0.5) -> load.Result:
    """Return a run whose latencies are latency_ms(share) at each of replay.lua's percentiles."""
    quantiles = [latency_ms(p / 100) for p in load.QUANTILES]
    return load.Result(4, requests / seconds, quantiles[99], quantiles[189], quantiles[197], 0, requests,
                       cpu_ms, seconds, quantiles)


def test_replay_reports_the_percentiles_merge_expects():
    script = (Path(load.__file__).parent / "replay.lua").read_text()
    assert "for i = 1, 199 do q[#q + 1] = latency:percentile(i / 2) end" in script
    assert len(load.QUANTILES) == 199 + 2 and load.QUANTILES[-2:] == [99.9, 100.0]


def test_merged_rounds_add_up_requests_and_time_and_pool_percentiles():
    fast = run(100, 1.0, lambda share: 1.0)
    slow = run(100, 2.0, lambda share: 3.0, cpu_ms=1.0)
    merged = load.merge([fast, slow])
    assert merged.requests == 200 and merged.rps == pytest.approx(200 / 3.0)
    assert merged.p50_ms == 1.0  # half of all requests took 1 ms
    assert merged.p95_ms == merged.p99_ms == 3.0
    assert merged.cpu_ms == pytest.approx(0.75)


def test_a_busier_round_weighs_more():
    quick = run(900, 1.0, lambda share: 1.0)
    slow = run(100, 1.0, lambda share: 10.0)
    merged = load.merge([quick, slow])
    assert merged.p50_ms == 1.0 and merged.p95_ms == 10.0


def test_one_round_merges_into_itself():
    single = run(1000, 2.0, lambda share: 0.5 + 10 * share)
    merged = load.merge([single])
    assert (merged.p50_ms, merged.p95_ms, merged.p99_ms) == (single.p50_ms, single.p95_ms, single.p99_ms)


def test_p99_is_judged_and_named_only_at_the_levels_where_the_floor_meets_it():
    import run as bench_run

    def level(connections: int, p99_ms: float) -> load.Result:
        return load.Result(connections, 1000.0, 1.0, 2.0, p99_ms, 0, 1000)

    ours = [level(1, 30.0), level(4, 7.0), level(16, 27.0)]
    floor = [level(1, 26.0), level(4, 5.0), level(16, 24.0)]
    judged = {name: (values, ok) for name, values, ok in bench_run.verdicts(ours, floor)}
    assert judged["p99 < 25 ms (where the floor's is)"] == ([(4, 7.0), (16, 27.0)], False)
    assert judged["errors = 0"] == ([(1, 0), (4, 0), (16, 0)], True)
