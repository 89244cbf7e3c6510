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
# the Persian kaf, ta marbuta, hamza on waw or yeh; Cyrillic ё. Apostrophes inside a word are dropped,
# so that Ukrainian "сім'я" (family) is one word, not "сім" (seven) and "я" (I).
FOLD = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ی": "ي", "ک": "ك", "ة": "ه", "ؤ": "و", "ئ": "ي",
                      "ё": "е", "'": "", "’": "", "ʼ": "", "`": "", "´": ""})
WORD = re.compile(r"\w+")
# The article with a conjunction or preposition attached: Snowball's Arabic stemmer takes ال, بال, كال and
# لل, not وال or فال ("and the police").
JOINED_ARTICLE = ("وال", "فال")


def words(lang: str, text: str) -> list[str]:
    """Split what was heard into words, each in one spelling: lower case, marks and apostrophes gone."""
    if lang == "tr":
        # Turkish has dotted and dotless i in both cases; casefold() alone makes "İ" two characters and "I" an "i".
        text = text.replace("I", "ı").replace("İ", "i")
    text = MARKS.sub("", unicodedata.normalize("NFKC", text).casefold()).translate(FOLD)
    found = WORD.findall(text)
    if lang == "ar":
        found = [w[1:] if w.startswith(JOINED_ARTICLE) and len(w) > 4 else w for w in found]
    return found


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
