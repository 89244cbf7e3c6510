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
FILLERS = N_("help, need, please, i, im, ive, id, i'll, me, my, mine, myself, you, your, we, us, our, "
             "he, him, his, she, her, they, them, their, want, wanna, would, like, can, cant, could, "
             "will, should, must, hello, hi, yes, yeah, no, okay, ok, thank, thanks, thank you, sorry, "
             "problem, problems, question, questions, something, someone, somebody, anything, know, "
             "don't, do, does, did, call, talk, speak, person, people, the, a, an, to, with, and, or, "
             "but, so, for, of, about, in, on, at, from, by, is, am, are, was, were, be, been, have, "
             "has, had, it, its, it's, this, that, there, here, now, very, just, really, get, got, some, "
             "any, what, how, who, where, because, also, maybe, um, uh, good")
EMERGENCY_WORDS = N_("emergency, danger, in danger, life in danger, ambulance, kill me")
YES_WORDS = N_("yes, yeah, yep, yup, correct, right, exactly, okay, ok, sure, go on, go ahead, continue")
NO_WORDS = N_("no, nope, nah, not, don't, not that, wrong, incorrect, again, choose again, back, other, "
              "something else")
# A word right after one of these does not count ("not anonymously" names no option): asked again, never the opposite.
NEGATIONS = N_("not, don't, didn't, doesn't, isn't, wasn't, never, no, nor, won't, can't, wouldn't, "
               "haven't, aren't")
DOT = N_("dot")
SLASH = N_("slash")
DASH = N_("dash")
AT = N_("at")
STAR = N_("star")
HASH = N_("hash")
PLUS = N_("plus")

# Heard or matched only where a menu accepts a spoken answer: a language without speech recognition needs none of them.
SPEECH_ONLY = (CONFIRM, FILLERS, EMERGENCY_WORDS, NEGATIONS, YES_WORDS, NO_WORDS)

ALL = tuple(value for name, value in sorted(globals().items()) if name.isupper() and isinstance(value, str))
