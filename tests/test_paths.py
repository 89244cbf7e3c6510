"""Every organisation in every language: the keys that reach it, each confirmed by a simulated call."""
from __future__ import annotations

import io
from dataclasses import replace

import pytest

from ivr.core.flow import CallFlow
from ivr.tools.coverage import all_paths, print_report
from ivr.core.phone import parse_phone
from ivr.tools.simulator import FlaskTransport, Simulator

from .conftest import TOKEN

CODES = ["nl", "en", "ar", "tr", "pl", "uk", "ru", "fr", "es", "fa"]
NAMES = {"nl": "Nederlands", "en": "English", "ar": "العربية", "tr": "Türkçe", "pl": "polski", "uk": "українська",
         "ru": "русский", "fr": "français", "es": "español", "fa": "فارسی"}
LANGUAGE_KEYS = {"nl": "1", "en": "2", "ar": "3", "tr": "4", "pl": "5", "uk": "6", "ru": "7", "fr": "8", "es": "# 1", "fa": "# 2"}


@pytest.fixture
def hotline(app):
    return app.extensions["ivr"].hotline


def printed(report) -> tuple[int, list[str]]:
    out = io.StringIO()
    status = print_report(report, out)
    return status, out.getvalue().splitlines()


def without_option(hotline, menu: str, key: str):
    """Return the hotline with one option of a menu gone (the app keeps the whole menu)."""
    menus = dict(hotline.menus)
    menus[menu] = menus[menu].model_copy(update={"options": [o for o in menus[menu].options if o.key != key]})
    return replace(hotline, menus=menus)


def with_organisation(hotline, name: str, **changes):
    """Return the hotline with one organisation changed (the app keeps the real one)."""
    organisations = dict(hotline.organisations)
    organisations[name] = organisations[name].model_copy(update=changes)
    return replace(hotline, organisations=organisations)


def test_every_organisation_is_reached_with_the_same_keys_in_every_language(hotline, phone):
    report = all_paths(hotline, phone)
    status, lines = printed(report)
    assert report.problems == [] and status == 0
    assert report.calls == 11 * 10
    assert lines[0] == "organisation               nl   en   ar   tr   pl   uk   ru   fr   es   fa"
    assert lines[1] == "language key(s)            1    2    3    4    5    6    7    8    # 1  # 2"
    assert "veilig_thuis               1    1    1    1    1    1    1    1    1    1" in lines
    assert "politie                    4    4    4    4    4    4    4    4    4    4" in lines
    assert "slachtofferhulp_anonymous  3 2  3 2  3 2  3 2  3 2  3 2  3 2  3 2  3 2  3 2" in lines
    assert "zanzu                      5    5    5    5    5    5    5    5    5    5" in lines
    assert "dtv                        7 4  7 4  7 4  7 4  7 4  7 4  7 4  7 4  7 4  7 4" in lines
    assert [line.split()[0] for line in lines[2:-1]] == list(hotline.organisations)
    assert lines[-1] == "all 11 organisations reachable in all 10 languages with the same keys, confirmed by 110 simulated calls"


def test_without_a_simulator_only_the_table_is_made(hotline):
    report = all_paths(hotline)
    status, lines = printed(report)
    assert status == 0 and report.calls == 0
    assert {language: " ".join(keys) for language, keys in report.languages.items()} == LANGUAGE_KEYS
    assert lines[-1] == "all 11 organisations reachable in all 10 languages with the same keys"


def test_a_caller_from_abroad_hears_the_languages_in_another_order_and_still_gets_through(app, hotline):
    # A number from Iran puts Persian first (key 1) and Spanish on the second page: the confirming calls
    # press what that caller hears.
    abroad = Simulator(FlaskTransport(app), TOKEN, "http://localhost", caller="+989121234567",
                       audio_words=app.extensions["ivr"].prompts.words_for_url)
    report = all_paths(hotline, abroad)
    assert report.problems == [] and report.calls == 110
    # The table keeps the order of a caller without a country preference.
    assert " ".join(report.languages["en"]) == "2"


def test_an_organisation_behind_a_missing_option_is_unreachable(hotline, phone):
    # Without key 3 on the main menu, the victims menu and its two organisations cannot be reached.
    report = all_paths(without_option(hotline, "main", "3"), phone)
    status, lines = printed(report)
    assert status == 1
    assert "slachtofferhulp            -    -    -    -    -    -    -    -    -    -" in lines
    assert report.problems == [f"{org}: cannot be reached in {code} ({NAMES[code]})"
                               for org in ("slachtofferhulp", "slachtofferhulp_anonymous") for code in CODES]
    assert lines[-1] == "20 problems"
    # Only the paths that exist are called.
    assert report.calls == 9 * 10


def test_keys_that_differ_between_languages_are_a_problem(monkeypatch, hotline):
    choices = CallFlow.choices

    def moved(self, pos):
        # Persian callers would find the police under 8 instead of 4.
        out = choices(self, pos)
        if pos.lang == "fa" and pos.trail == ("main",) and pos.kind == "menu":
            out["8"] = out.pop("4")
        return out

    monkeypatch.setattr(CallFlow, "choices", moved)
    status, lines = printed(all_paths(hotline))
    assert status == 1
    assert "politie                    4    4    4    4    4    4    4    4    4    8" in lines
    assert lines[-2:] == ["politie: the keys differ between languages: 4 in nl, en, ar, tr, pl, uk, ru, fr, es; 8 in fa",
                          "1 problem"]


def test_a_call_that_dials_another_number_fails_the_confirmation(hotline, phone):
    # The table expects the police on 0800-0188; the hotline the call reaches dials 0900-8844.
    report = all_paths(with_organisation(hotline, "politie", phone=parse_phone("0800-0188")), phone)
    assert report.problems == [f"politie in {code}: pressed {LANGUAGE_KEYS[code]} 4: dialled +319008844, not +318000188"
                               for code in CODES]
    assert printed(report)[0] == 1


def test_a_call_that_does_not_describe_a_website_only_organisation_fails_the_confirmation(hotline, phone):
    report = all_paths(with_organisation(hotline, "zanzu", help="Zanzu has moved."), phone)
    assert report.problems == [f'zanzu in {code}: pressed {LANGUAGE_KEYS[code]} 5: did not hear its description "Zanzu has moved."'
                               for code in CODES]


def test_persian_is_confirmed_by_the_words_of_its_audio(app, hotline):
    # Without the words of the played files, nothing said in Persian can be checked.
    deaf = Simulator(FlaskTransport(app), TOKEN, "http://localhost")
    report = all_paths(hotline, deaf)
    assert len(report.problems) == 11
    assert report.problems[0].startswith('veilig_thuis in fa: pressed # 2 1: did not hear its description "')
    assert report.problems[0].endswith('…" (the words of its audio are unknown to the simulator)')
    assert all(" in fa: " in problem for problem in report.problems)
