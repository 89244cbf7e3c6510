"""The shape of the configuration files, as pydantic models."""
from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from .phone import Phone, parse_emergency, parse_phone

KEYS = tuple("1234567890*#")


def _key(value: Any) -> Any:
    # YAML reads `key: 1` as an integer; a key is a character on the keypad.
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 9:
        return str(value)
    if isinstance(value, str) and value not in KEYS:
        raise ValueError(f"'{value}' is not a phone key: use one of 0-9, * or #")
    return value


def _text(value: str) -> str:
    text = " ".join(value.split())
    if not text:
        raise ValueError("the text is empty")
    return text


def _identifier(value: str) -> str:
    if not re.fullmatch(r"[a-z][a-z0-9_]*", value):
        raise ValueError(f"'{value}' is not a valid id: use lower-case letters, digits and _ (like 'veilig_thuis')")
    return value


Key = Annotated[str, BeforeValidator(_key)]
Text = Annotated[str, AfterValidator(_text)]  # English source text, translated through the catalogs
Id = Annotated[str, AfterValidator(_identifier)]
PhoneNumber = Annotated[Phone, BeforeValidator(lambda v: parse_phone(v) if isinstance(v, str) else v)]
EmergencyNumber = Annotated[Phone, BeforeValidator(lambda v: parse_emergency(str(v)) if isinstance(v, (str, int)) else v)]


class Strict(BaseModel):
    """A mapping whose keys are all known; anything else is a typo."""

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


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
    retry: Key = "1"  # after a failed transfer: try again
    hear_again: Key = "2"  # after a failed transfer: hear the number again


class Settings(Strict):
    """The `hotline:` section."""

    welcome: Text
    start_menu: Id
    greeting_languages: list[str] = Field(min_length=1)
    fallback_organisation: Id
    max_failures: int = Field(3, ge=1, le=10)
    gather_timeout: int = Field(6, ge=2, le=30)
    dial_timeout: int = Field(30, ge=5, le=120)
    keys: Keys = Field(default_factory=Keys)
    emergency: Emergency = Field(default_factory=Emergency)


class LanguageEntry(Strict):
    """One entry of the `languages:` list, when it overrides the table."""

    code: str
    voice: str | None = None


class Organisation(Strict):
    """One organisation a caller can be told about and put through to."""

    name: str
    help: Text
    details: list[Text] = []
    website: str | None = None
    email: str | None = None
    phone: PhoneNumber | None = None
    other_phones: list[PhoneNumber] = []

    @model_validator(mode="after")
    def _reachable(self) -> "Organisation":
        if not (self.phone or self.website or self.email):
            raise ValueError("give at least one of 'phone', 'website' or 'email', or the caller learns nothing")
        return self


class Option(Strict):
    """One key of a menu and where it leads."""

    key: Key
    label: Text
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


SECTIONS = {"hotline": Settings, "languages": list, "organisations": Organisation, "menus": Menu}
