"""The sentences the hotline speaks around the configured texts, marked for translation."""


def N_(text: str) -> str:
    """Mark text for extraction; it is translated when spoken."""
    return text


DANGER = N_("If you are in immediate danger, hang up and call {emergency}, or press {key}.")
DANGER_KEY = N_("If you are in immediate danger, press {key}.")
EMERGENCY = N_("If you are in immediate danger, hang up now and call {emergency}. Again: hang up and call {emergency}.")
EMERGENCY_TRANSFER = N_("We will now try to connect you to {emergency}. If you hear nothing, hang up and call {emergency} yourself.")
LANGUAGE_CHOICE = N_("For {language}, press {key}.")
MORE_LANGUAGES = N_("For more languages, press {key}.")
SPEAK_CHOICE = N_("Or say your choice.")
OPTION = N_("{label}: {key}.")
REPEAT = N_("To repeat, press {key}.")
BACK = N_("To go back, press {key}.")
NO_INPUT = N_("Sorry, we did not hear a choice.")
WRONG_KEY = N_("Sorry, that key is not one of the choices.")
WEBSITE = N_("Website: {address}.")
SPELLED = N_("That is spelled: {letters}.")
EMAIL = N_("E-mail: {address}.")
NUMBER = N_("The phone number of {name} is {number}.")
NUMBER_AGAIN = N_("Again: {number}.")
OTHER_NUMBER = N_("You can also call {number}.")
CONNECTING = N_("We are now connecting you to {name}.")
CONNECTING_AGAIN = N_("We are trying {name} again.")
TRANSFER_FAILED = N_("Sorry, we could not connect you to {name}.")
RETRY = N_("To try again, press {key}.")
HEAR_AGAIN = N_("To hear the number again, press {key}.")
CLOSED = N_("{name} is closed at the moment. It opens again: {when}.")
ALTERNATIVE = N_("For {name} instead, press {key}.")
GOODBYE = N_("Thank you for calling. Goodbye.")
FALLBACK = N_("For other help, call {name} on {number}.")
APOLOGY = N_("Sorry, something went wrong on our side.")
CONFIRM = N_("I understood: {label}. To go on, press {yes} or say yes. To choose again, press {no} or say no.")
# Not said: words a caller's spoken answer is matched with. Commas separate them, as in an option's keywords.
FILLERS = N_("help, need, please, I, me, my, you, we, want, would like, can, could, hello, yes, no, okay, thank you, "
             "problem, question, something, someone, know, don't, call, talk, speak, person, the, a, an, to, with, and, or, "
             "for, of, about, in, at, from, is, am, are, have, has, it, this, that, now, very")
EMERGENCY_WORDS = N_("emergency, danger, in danger")
YES_WORDS = N_("yes, yeah, yep, correct, right, okay, sure, go on")
NO_WORDS = N_("no, nope, not that, wrong, again, back, other")
# A word right after one of these does not count ("not anonymously" names no option): asked again, never the opposite.
NEGATIONS = N_("not, don't, never, no")
DOT = N_("dot")
SLASH = N_("slash")
DASH = N_("dash")
AT = N_("at")
STAR = N_("star")
HASH = N_("hash")
PLUS = N_("plus")

ALL = tuple(value for name, value in sorted(globals().items()) if name.isupper() and isinstance(value, str))
