"""Phone numbers: parsed and classed with libphonenumber, grouped for speaking."""
from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers
from phonenumbers import PhoneNumberFormat, PhoneNumberType, shortnumberinfo

REGION = "NL"

_TYPE_NAMES = {
    PhoneNumberType.FIXED_LINE: "fixed line",
    PhoneNumberType.MOBILE: "mobile",
    PhoneNumberType.FIXED_LINE_OR_MOBILE: "fixed line or mobile",
    PhoneNumberType.TOLL_FREE: "toll-free",
    PhoneNumberType.PREMIUM_RATE: "premium-rate",
    PhoneNumberType.SHARED_COST: "shared-cost",
    PhoneNumberType.VOIP: "VoIP",
    PhoneNumberType.PERSONAL_NUMBER: "personal",
    PhoneNumberType.PAGER: "pager",
    PhoneNumberType.UAN: "company (UAN)",
    PhoneNumberType.VOICEMAIL: "voicemail",
}


@dataclass(frozen=True)
class Phone:
    """A number the hotline speaks and may dial."""

    e164: str  # what <Dial> gets; a short number such as 112 stays as it is
    groups: tuple[str, ...]  # digit groups as a caller in the Netherlands dials them
    kind: str  # "toll-free", "premium-rate", "emergency", ...

    @property
    def premium(self) -> bool:
        """Tell whether Twilio is likely to refuse a transfer to this number."""
        return self.kind in ("premium-rate", "shared-cost")


class PhoneError(ValueError):
    """A number that is not a valid Dutch, international or emergency number."""


def parse_emergency(text: str) -> Phone:
    """Parse an emergency short number such as 112."""
    digits = re.sub(r"[\s-]", "", text)
    if not shortnumberinfo.is_emergency_number(digits, REGION):
        raise PhoneError(f"'{text}' is not an emergency number in the Netherlands (112 is)")
    return Phone(digits, (digits,), "emergency")


def parse_phone(text: str) -> Phone:
    """Parse a number as written in the seed ('0800-2000', '+31 6 30261611')."""
    try:
        number = phonenumbers.parse(text, REGION)
    except phonenumbers.NumberParseException as exc:
        raise PhoneError(f"'{text}' is not a phone number ({exc._msg})") from None
    if not phonenumbers.is_valid_number(number):
        raise PhoneError(f"'{text}' is not a valid phone number")
    if number.extension:
        raise PhoneError(f"'{text}' has an extension, which a transfer cannot dial: give the direct number")
    if not text.strip().startswith(("0", "+")):
        # "31 800 2000" would silently become another valid number (+31 318 002 000).
        raise PhoneError(f"'{text}' must start with 0 (a Dutch number) or + (an international one), as the organisation publishes it")
    e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
    kind = _TYPE_NAMES.get(phonenumbers.number_type(number), "unknown")
    if phonenumbers.region_code_for_number(number) == REGION:
        written = text.strip()
        national = phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
        # Keep the administrator's grouping when it is the national form in short groups:
        # it is how the organisation publishes the number.
        short = all(len(group) <= 4 for group in re.split(r"[\s\-./()]+", written))
        shown = written if written.startswith("0") and short and _digits(written) == _digits(national) else national
    else:
        shown = phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)
    return Phone(e164, _groups(shown), kind)


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _groups(shown: str) -> tuple[str, ...]:
    groups: list[str] = []
    for part in re.split(r"[\s\-./()]+", shown):
        if not part:
            continue
        plus = "+" if part.startswith("+") else ""
        digits = _digits(part)
        # Long runs are hard to write down: say them in pairs, the odd digit first.
        if len(digits) > 4:
            cut = 3 if len(digits) % 2 else 2
            chunks = [digits[:cut]] + [digits[i : i + 2] for i in range(cut, len(digits), 2)]
        else:
            chunks = [digits]
        groups.append(plus + chunks[0])
        groups.extend(chunks[1:])
    return tuple(groups)
