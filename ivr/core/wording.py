"""Words as a recogniser writes them, made comparable: one spelling of a letter, no marks, stems of inflected forms."""
from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache

# Arabic short vowels and other marks, Quranic marks, and the tatweel that stretches a word: a recogniser
# may write them or not.
MARKS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
# One spelling of letters written several ways: alef with hamza or madda, alef maksura and the Persian yeh,
# the Persian kaf, hamza on waw or yeh; Cyrillic ё. (Ta marbuta stays: the Arabic stemmer knows it.) Apostrophes inside a word are dropped,
# so that Ukrainian "сім'я" (family) is one word, not "сім" (seven) and "я" (I).
FOLD = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ی": "ي", "ک": "ك", "ؤ": "و", "ئ": "ي",
                      "ё": "е", "'": "", "’": "", "ʼ": "", "`": "", "´": ""})
WORD = re.compile(r"\w+")
# The article, alone or with a conjunction or preposition attached ("and the police", "to the police"), taken
# off before stemming: Snowball's Arabic stemmer takes some of them, and then stems the rest of the word
# otherwise than without them ("البوليس" and "بوليس" came out different).
ARTICLE = ("وال", "فال", "بال", "كال", "لل", "ال")


def words(lang: str, text: str) -> list[str]:
    """Split what was heard into words, each in one spelling: lower case, marks and apostrophes gone."""
    if lang == "tr":
        # Turkish has dotted and dotless i in both cases; casefold() alone makes "İ" two characters and "I" an "i".
        text = text.replace("I", "ı").replace("İ", "i")
    text = MARKS.sub("", unicodedata.normalize("NFKC", text).casefold()).translate(FOLD)
    found = WORD.findall(text)
    if lang == "ar":
        found = [_bare(w) for w in found]
    return found


# Turkish negates a verb inside it (istemiyorum "I don't want", gelmedi, olmaz, vermeyeceğim): such a word
# is a negation heard, whatever else is said with it.
TURKISH_NEGATIVE = re.compile(r"m[ıiuü]yor|m[ae]d[ıiuü]|m[ae]y[ae]c[ae]|m[ae]z$|m[ae]m[ıi]ş")


def negative(lang: str, word: str) -> bool:
    """Tell whether a word negates itself in lang (a Turkish negative verb)."""
    return lang == "tr" and len(word) > 4 and TURKISH_NEGATIVE.search(word) is not None


def _bare(word: str) -> str:
    """Take the article (with what is attached to it) off an Arabic word, where two letters or more are left."""
    for prefix in ARTICLE:
        if word.startswith(prefix) and len(word) - len(prefix) >= 2:
            return word[len(prefix):]
    return word


_stemmers = threading.local()  # a Snowball stemmer keeps state while it works: one per thread


@lru_cache(maxsize=65536)  # callers say the same few hundred words: each is stemmed once
def stem(algorithm: str | None, word: str) -> str:
    """Return a word's stem by a Snowball algorithm ("russian"), or the word where there is none."""
    if algorithm is None:
        return word
    mine = getattr(_stemmers, "by_name", None)
    if mine is None:
        mine = _stemmers.by_name = {}
    stemmer = mine.get(algorithm)
    if stemmer is None:
        import snowballstemmer  # imported where spoken answers are first matched: a start with speech off needs none

        stemmer = mine[algorithm] = snowballstemmer.stemmer(algorithm)
    return stemmer.stemWord(word)
