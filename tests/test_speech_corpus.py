"""What callers say (tests/speech/, written apart from the keyword lists): never a wrong destination."""
from __future__ import annotations

import pytest

from ivr.loading.config import check
from ivr.tools.corpus import judge, read, report


@pytest.fixture(scope="module")
def scores():
    hotline, _ = check("config")
    return judge(hotline, read())


def test_the_corpus_covers_every_spoken_language_with_forty_utterances_or_more(scores):
    assert sorted(scores) == ["ar", "en", "es", "fr", "nl", "pl", "ru", "tr", "uk"]
    assert min(s.total for s in scores.values()) >= 40


def test_no_utterance_leads_anywhere_but_where_it_should(scores):
    # A vague answer ("I need help") or an unclear one is asked again; it never leads to an organisation.
    misrouted = [line for line in report(scores) if line.startswith("  misrouted")]
    assert misrouted == []
