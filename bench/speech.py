"""What callers say, understood: the share per language of tests/speech/ led where it should, and the cost of a match."""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ivr.core.actions import Position  # noqa: E402
from ivr.core.flow import CallFlow  # noqa: E402
from ivr.loading.config import check  # noqa: E402
from ivr.tools.corpus import judge, read, report, trail  # noqa: E402


def main() -> int:
    hotline, _ = check("config")
    utterances = read()
    scores = judge(hotline, utterances)
    print("\n".join(report(scores)))
    # The cost of one match, every utterance once the phrases are worked out (as in a running worker).
    flow = CallFlow(hotline)
    spoken = [u for u in utterances if hotline.language(u.lang) and hotline.language(u.lang).speech]
    for u in spoken:
        flow.understand(Position("menu", u.lang, trail(hotline, u.menu)), u.say)
    times = []
    for u in spoken:
        pos = Position("menu", u.lang, trail(hotline, u.menu))
        start = time.perf_counter()
        flow.understand(pos, u.say)
        times.append((time.perf_counter() - start) * 1e6)
    print(f"one spoken answer matched: median {statistics.median(times):.0f} µs, slowest {max(times):.0f} µs ({len(times)} answers)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
