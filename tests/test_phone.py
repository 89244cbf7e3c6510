"""Numbers as the seed writes them: validated, classed, dialled as E.164 and grouped for speaking."""
from __future__ import annotations

import pytest

from ivr.core.phone import PhoneError, parse_emergency, parse_phone


@pytest.mark.parametrize("written, e164, kind, groups", [
    ("0800-2000", "+318002000", "toll-free", ("0800", "2000")),
    ("0900 9999 001", "+319009999001", "premium-rate", ("0900", "9999", "001")),
    ("+31 6 30261611", "+31630261611", "mobile", ("06", "30", "26", "16", "11")),
    ("+ 31 88 746 4444", "+31887464444", "company (UAN)", ("088", "746", "4444")),
    ("088-7464466", "+31887464466", "company (UAN)", ("088", "746", "4466")),
    ("070-3181500", "+31703181500", "fixed line", ("070", "318", "1500")),
    ("+44 20 7946 0958", "+442079460958", "fixed line", ("+44", "20", "7946", "0958")),
])
def test_numbers_from_the_seed(written, e164, kind, groups):
    phone = parse_phone(written)
    assert (phone.e164, phone.kind, phone.groups) == (e164, kind, groups)


def test_premium_rate_is_flagged():
    assert parse_phone("0900-8844").premium and not parse_phone("0800-0188").premium


@pytest.mark.parametrize("written, message", [
    ("0123", "'0123' is not a valid phone number"),
    ("call us", "'call us' is not a phone number (The string supplied did not seem to be a phone number.)"),
    ("112", "'112' is not a valid phone number"),
])
def test_invalid_numbers(written, message):
    with pytest.raises(PhoneError) as error:
        parse_phone(written)
    assert str(error.value) == message


def test_112_is_an_emergency_short_number():
    assert parse_emergency("112").e164 == "112"
    with pytest.raises(PhoneError, match="'113' is not an emergency number in the Netherlands"):
        parse_emergency("113")
