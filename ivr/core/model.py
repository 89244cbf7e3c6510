"""The menu model: the configuration's shape as pydantic models, and the checked Hotline the call flow runs on."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from .actions import PART_LENGTH
from .step import KEYPAD
from .problems import KeyPath, Problem, Where, nearest
from .texts import MAX_TEXT, Catalogs
from .hours import Hours, parse_hours
from .languages import Language
from .phone import Phone, parse_emergency, parse_phone



def _key(value: Any) -> Any:
    # YAML reads `key: 1` as an integer; a key is a character on the keypad.
    if value is None:
        raise ValueError("no key given: use one of 0-9, * or # (write # and * in quotes: '#')")
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if isinstance(value, str) and value not in KEYPAD:
        raise ValueError(f"'{value}' is not a phone key: use one of 0-9, * or #")
    return value


def _text(value: str) -> str:
    text = " ".join(value.split())
    if not text:
        raise ValueError("the text is empty")
    if len(text) > MAX_TEXT:
        raise ValueError(f"the text is {len(text):,} characters long: a voice reads at most {MAX_TEXT:,} at once. Shorten it, or split it into details.")
    braces = re.search(r"\{[^}]*\}?|\}", text)
    if braces:
        # Configured texts are spoken as they are; only the code's phrases have placeholders.
        raise ValueError(f"the text contains '{braces.group(0)}'; texts in the configuration cannot have placeholders. Remove the braces.")
    return text


def _identifier(value: str) -> str:
    problem = id_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def id_problem(value: Any) -> str | None:
    """Say why value cannot name a menu or an organisation (it is part of webhook URLs), or None."""
    if isinstance(value, str) and len(value) > PART_LENGTH:
        return f"'{value[:20]}…' is {len(value)} characters long: an id is part of the webhook's URL and may have at most {PART_LENGTH}"
    if not isinstance(value, str) or re.fullmatch(r"[a-z][a-z0-9_]*", value) is None:
        return f"'{value}' is not a valid id: use lower-case letters, digits and _ (like 'veilig_thuis')"
    return None



class PhoneAsNumber(ValueError):
    """YAML read a phone number as an integer: its leading 0 or + is lost."""


def _phone(value: Any) -> Any:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise PhoneAsNumber(f"expected a phone number as text, got number {value}")
    return parse_phone(value) if isinstance(value, str) else value


def shown(value: str, limit: int = 60) -> str:
    """Return a value as a message quotes it: cut short, so that a pasted page does not fill the log."""
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _email(value: str) -> str:
    # Checked by hand, in one pass: a pattern with two + around the @ took seconds on a long value.
    local, at, domain = value.partition("@")
    if len(value) > 254 or not local or not at or "@" in domain or any(ch.isspace() for ch in value) or "." not in domain[1:-1]:
        raise ValueError(f"'{shown(value)}' is not an email address (like info@example.org)")
    return value


def _website(value: str) -> str:
    # A length first: no pattern runs over a pasted page.
    if len(value) > 2000 or not re.fullmatch(r"(https?://)?([a-z0-9-]+\.)+[a-z]{2,}(/\S*)?", value, re.IGNORECASE):
        raise ValueError(f"'{shown(value)}' is not a website address (like example.org or example.org/page)")
    return value


Key = Annotated[str, BeforeValidator(_key)]
Text = Annotated[str, AfterValidator(_text)]  # English source text, translated through the catalogs
Id = Annotated[str, AfterValidator(_identifier)]
PhoneNumber = Annotated[Phone, BeforeValidator(_phone)]
Email = Annotated[str, AfterValidator(_email)]
Website = Annotated[str, AfterValidator(_website)]
EmergencyNumber = Annotated[Phone, BeforeValidator(lambda v: parse_emergency(str(v)) if isinstance(v, (str, int)) else v)]


class Strict(BaseModel):
    """A mapping whose keys are all known; anything else is a typo."""

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True, defer_build=True)  # built at first use: a kept check needs none


class Emergency(Strict):
    """How the hotline leads a caller in danger to 112."""

    number: EmergencyNumber = Field(default_factory=lambda: parse_emergency("112"))
    key: Key = "9"
    # Twilio places no emergency calls from Dutch numbers: transfer only where the carrier can.
    transfer: bool = False


class Keys(Strict):
    """Keys that mean the same on every menu."""

    back: Key = "0"
    repeat: Key = "*"
    more: Key = "#"  # on the language menu: the next page of languages
    alternative: Key = "1"  # while an organisation is closed: its alternative
    retry: Key = "1"  # after a failed transfer: try again
    hear_again: Key = "2"  # after a failed transfer: hear the number again
    confirm: Key = "1"  # after a spoken answer we are not sure of: yes, go on
    reject: Key = "2"  # after a spoken answer we are not sure of: no, choose again


class Timing(Strict):
    """Seconds a caller may listen, as `ivr timing` estimates them, before `ivr check` warns; a limit not set is not checked."""

    languages_named: float | None = Field(None, gt=0, le=600)  # from the answer until every offered language is named in itself
    menu: float | None = Field(None, gt=0, le=600)  # to hear a menu in full, in any language


class Settings(Strict):
    """The `hotline:` section."""

    welcome: Text
    start_menu: Id
    greeting_languages: list[str] = Field(min_length=1)
    fallback_organisation: Id
    max_failures: int = Field(3, ge=2, le=10)  # at least one re-prompt before the safe ending
    gather_timeout: int = Field(6, ge=2, le=30)
    dial_timeout: int = Field(30, ge=5, le=120)
    languages_per_page: int = Field(8, ge=2, le=8)  # 0-9 and # less the reserved keys leave eight
    speech: bool = True  # menus also accept a spoken answer where Twilio recognises the language
    keys: Keys = Field(default_factory=Keys)
    emergency: Emergency = Field(default_factory=Emergency)
    timing: Timing = Field(default_factory=Timing)


def _voice(value: str) -> str:
    if len(value) > 100 or not re.fullmatch(r"Polly\.[A-Z][A-Za-z]+(-Neural|-Generative)?|Google\.[a-z]{2,3}-[A-Z]{2}-[A-Za-z0-9]+-[A-Z]", value):
        raise ValueError(f"'{shown(value)}' is not a Twilio voice: use Polly.<Name> (like Polly.Lotte) or Google.<locale>-<type>-<X> (like Google.nl-NL-Standard-A)")
    return value


class LanguageEntry(Strict):
    """One entry of the `languages:` list, when it overrides the table."""

    code: str
    voice: Annotated[str, AfterValidator(_voice)] | None = None
    slow: bool | None = None
    engine: Literal["gtts", "espeak-ng"] | None = None


class Organisation(Strict):
    """One organisation a caller can be told about and put through to."""

    name: Annotated[str, AfterValidator(_text)]
    help: Text
    details: list[Text] = []
    website: Website | None = None
    email: Email | None = None
    phone: PhoneNumber | None = None
    other_phones: list[PhoneNumber] = []
    hours: Annotated[Hours, BeforeValidator(parse_hours)] | None = None  # none given: not known, always transferred

    @model_validator(mode="after")
    def _reachable(self) -> "Organisation":
        if not (self.phone or self.website or self.email):
            raise ValueError("give at least one of 'phone', 'website' or 'email', or the caller learns nothing")
        return self


class Option(Strict):
    """One key of a menu and where it leads."""

    key: Key
    label: Text
    keywords: Text | None = None  # comma-separated words a caller may say instead of pressing the key
    menu: Id | None = None
    organisation: Id | None = None

    @model_validator(mode="after")
    def _one_target(self) -> "Option":
        if (self.menu is None) == (self.organisation is None):
            raise ValueError("give exactly one of 'menu' or 'organisation' for this option")
        return self


class Menu(Strict):
    """A menu: a prompt and its options."""

    prompt: Text | None = None
    options: list[Option] = Field(min_length=1)


@dataclass(frozen=True)
class Hotline:
    """Everything the call flow needs, checked and ready."""

    settings: Settings
    languages: tuple[Language, ...]
    organisations: dict[str, Organisation]
    menus: dict[str, Menu]
    catalogs: Catalogs
    directory: Path
    warnings: tuple[Problem, ...] = ()
    places: dict[KeyPath, Where] = field(default_factory=dict, repr=False)  # file and line of every value
    configured: tuple[Language, ...] = ()  # every language configured, offered or not (languages: those offered)
    not_offered: dict[str, str] = field(default_factory=dict)  # configured but not offered: code -> why

    def language(self, code: str) -> Language | None:
        """Return an offered language by code."""
        return next((lang for lang in self.languages if lang.code == code), None)

    def problem(self, path: KeyPath, message: str, warning: bool = False) -> Problem:
        """Return a problem found in the checked hotline, placed where path is written."""
        return Problem(nearest(self.places, path), tuple(path), message, warning)
