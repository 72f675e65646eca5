"""Text to search terms: lower-cased words, stop words dropped, lightly stemmed.

Pure (standard library only). ``voice.ideas.search`` stores what :func:`document_terms`
gives for each idea and looks queries up with :func:`query_words`.

The stemmer is deliberately light (a few suffix rules, in the spirit of Porter's
first step) so that "exports", "exported" and "exporting" meet at "export" and
"company"/"companies" at "compani", while the stem stays a prefix of what people
type, which is what lets the last, half-typed word match by prefix.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter

MAX_TERM = 40
#: A word of the title counts this many times a word of the description.
TITLE_WEIGHT = 3

_STOP_TEXT = """
    a about above after again against all also am an and any are aren as at be because been
    before being below between both but by can cannot could couldn did didn do does doesn doing
    don down during each even ever every few for from further get gets getting got had hadn has
    hasn have haven having he her here hers herself him himself his how however i if in into is
    isn it its itself just let lets me more most much must mustn my myself no nor not now of off
    on once only or other ought our ours ourselves out over own really same shall shan she
    should shouldn so some such than that the their theirs them themselves then there these they
    this those through to too under until up upon us very was wasn we were weren what when where
    which while who whom why will with won would wouldn you your yours yourself yourselves
    etc eg ie via per yet still already maybe perhaps
    please thanks thank hi hello like would want wants wanted need needs needed able allow allows
    add adding added make makes made way ways option options feature features idea ideas
    possible possibility easy easier easily lot lots thing things something anything nice great
    good better best new use using used one two also http https www com
"""
STOP_WORDS = frozenset(_STOP_TEXT.split())

_WORD = re.compile(r"\w+")


def normalise(text: str) -> str:
    """Lower case, accents folded ("café" -> "cafe")."""
    folded = unicodedata.normalize("NFKD", text or "")
    return "".join(ch for ch in folded if not unicodedata.combining(ch)).lower()


def words(text: str) -> list[str]:
    """The words of ``text``, lower-cased, underscores split, one-letter words dropped."""
    found = []
    for word in _WORD.findall(normalise(text).replace("_", " ")):
        if len(word) >= 2:
            found.append(word[:MAX_TERM])
    return found


def stem(word: str) -> str:
    """A light suffix stemmer; words of three letters or fewer are left alone."""
    if len(word) <= 3 or word.isdigit():
        return word
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "i"
    elif word.endswith("sses"):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if word.endswith("ing") and len(word) - 3 >= 3:
        word = word[:-3]
    elif (word.endswith("ed") and len(word) >= 5) or (word.endswith("ly") and len(word) >= 6):
        word = word[:-2]
    if len(word) >= 4 and word[-1] == word[-2] and word[-1] not in "aeiouslz":
        word = word[:-1]  # runn -> run, stopp -> stop
    if word.endswith("y") and len(word) > 3:
        word = word[:-1] + "i"
    if word.endswith("e") and len(word) > 3:
        word = word[:-1]
    return word


def terms(text: str) -> list[str]:
    """The meaningful stems of ``text``, in order, repeats kept."""
    return [stem(word) for word in words(text) if word not in STOP_WORDS]


def document_terms(title: str, description: str) -> dict[str, float]:
    """The idea's unit-length term vector: {term: weight}, weights summing (squared) to 1.

    A term's raw weight is ``1 + ln(tf)`` of its count, where a title word counts
    ``TITLE_WEIGHT`` times; normalising makes long descriptions no stronger than short ones.
    """
    counts: Counter[str] = Counter()
    for term in terms(title):
        counts[term] += TITLE_WEIGHT
    for term in terms(description):
        counts[term] += 1
    raw = {term: 1.0 + math.log(count) for term, count in counts.items()}
    norm = math.sqrt(sum(value * value for value in raw.values())) or 1.0
    return {term: value / norm for term, value in raw.items()}


def query_words(text: str) -> tuple[list[str], str | None]:
    """Split a query into whole-word stems and the prefix of the last, perhaps half-typed word.

    Returns (stems, prefix). The last word is a prefix only when the query does not end in
    a space or punctuation; a stop word is never a prefix (it would match too much)
    unless it is the only word. Stems are de-duplicated, in order.
    """
    raw = words(text)
    typing = bool(text) and not text[-1].isspace() and text[-1].isalnum() and bool(raw)
    prefix = None
    if typing:
        last = raw.pop()
        if last not in STOP_WORDS or not raw:
            stemmed = stem(last)
            prefix = stemmed if last.startswith(stemmed) else _common_prefix(last, stemmed)
            if len(prefix) < 2:
                prefix = None
    stems: list[str] = []
    for word in raw:
        if word in STOP_WORDS:
            continue
        term = stem(word)
        if term not in stems:
            stems.append(term)
    if prefix is not None and prefix in stems:
        prefix = None
    return stems, prefix


def prefix_upper_bound(prefix: str) -> str:
    """The smallest string greater than every string starting with ``prefix``.

    ``term >= prefix AND term < prefix_upper_bound(prefix)`` is a range that an ordinary
    B-tree index answers on SQLite and PostgreSQL alike (unlike ``LIKE 'abc%'``, which
    PostgreSQL indexes only under the C collation).
    """
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def idf(total_documents: int, document_frequency: int) -> float:
    """Inverse document frequency, smoothed: ln(1 + N / df), positive for every df <= N."""
    return math.log(1.0 + max(total_documents, 1) / max(document_frequency, 1))


def _common_prefix(a: str, b: str) -> str:
    size = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        size += 1
    return a[:size]
