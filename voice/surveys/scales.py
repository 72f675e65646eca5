"""Question kinds and their scales: the one home of the score ranges and their bands.

Pure (the standard library only), so the statistics, the answer checks, the forms and
templates, the routing rules and the staff dashboard all read the same numbers.

- NPS, 0-10: promoters 9-10, passives 7-8, detractors 0-6.
- CSAT, 1-5: satisfied 4-5 (the CSAT score is their share), neutral 3, dissatisfied 1-2.
- CES, 1-7 (1 very easy, 7 very difficult); rating, 1-5 stars.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

KINDS: Final = ("nps", "csat", "ces", "rating", "single_choice", "multi_choice", "text")
#: kind -> (lowest, highest) whole-number score.
SCALES: Final[dict[str, tuple[int, int]]] = {
    "nps": (0, 10), "csat": (1, 5), "ces": (1, 7), "rating": (1, 5),
}
SCALE_KINDS: Final = tuple(SCALES)
CHOICE_KINDS: Final = ("single_choice", "multi_choice")
TEXT_KIND: Final = "text"


@dataclass(frozen=True)
class Band:
    """A named run of scores on a scale (e.g. the NPS promoters, 9-10)."""

    name: str  # one of them: "promoter"
    plural: str  # the key of their count in results: "promoters"
    low: int
    high: int

    def __contains__(self, score: object) -> bool:
        return isinstance(score, int) and self.low <= score <= self.high

    @property
    def label(self) -> str:
        """The band for a reader: "Promoters (9–10)"."""
        span = str(self.low) if self.low == self.high else f"{self.low}–{self.high}"
        return f"{self.plural.capitalize()} ({span})"


NPS_PROMOTERS: Final = Band("promoter", "promoters", 9, 10)
NPS_PASSIVES: Final = Band("passive", "passives", 7, 8)
NPS_DETRACTORS: Final = Band("detractor", "detractors", 0, 6)
NPS_BANDS: Final = (NPS_PROMOTERS, NPS_PASSIVES, NPS_DETRACTORS)

CSAT_SATISFIED: Final = Band("satisfied", "satisfied", 4, 5)
CSAT_NEUTRAL: Final = Band("neutral", "neutral", 3, 3)
CSAT_DISSATISFIED: Final = Band("dissatisfied", "dissatisfied", 1, 2)
CSAT_BANDS: Final = (CSAT_SATISFIED, CSAT_NEUTRAL, CSAT_DISSATISFIED)

BANDS: Final[dict[str, tuple[Band, ...]]] = {"nps": NPS_BANDS, "csat": CSAT_BANDS}

#: What the ends of a scale mean, as the answering page words them.
SCALE_ENDS: Final[dict[str, tuple[str, str]]] = {
    "nps": ("Not at all likely", "Extremely likely"),
    "ces": ("Very easy", "Very difficult"),
}
#: The word for each CSAT score, lowest first.
CSAT_WORDS: Final = ("Very unsatisfied", "Unsatisfied", "Neutral", "Satisfied",
                     "Very satisfied")


def _span(kind: str) -> str:
    low, high = SCALES[kind]
    return f"{low}–{high}"


KIND_LABELS: Final[dict[str, str]] = {
    "nps": f"Net Promoter Score ({_span('nps')})",
    "csat": f"Satisfaction, CSAT ({_span('csat')})",
    "ces": f"Customer effort, CES ({_span('ces')})",
    "rating": f"Rating ({_span('rating')} stars)",
    "single_choice": "One choice",
    "multi_choice": "Several choices",
    "text": "Text",
}


def is_scale(kind: str) -> bool:
    """True for a kind answered with a whole-number score."""
    return kind in SCALES


def scale_of(kind: str) -> tuple[int, int] | None:
    """(lowest, highest) score of a scale kind; None for the other kinds."""
    return SCALES.get(kind)


def scale_values(kind: str) -> range:
    """Every score of a scale kind, lowest first (KeyError for another kind)."""
    low, high = SCALES[kind]
    return range(low, high + 1)


def band_of(kind: str, score: int) -> Band | None:
    """The band a score falls in (NPS and CSAT); None for other kinds or off-scale scores."""
    return next((band for band in BANDS.get(kind, ()) if score in band), None)


def band_slice(kind: str, band: Band) -> slice:
    """The positions of a band's scores in an array of counts indexed from the lowest score."""
    low = SCALES[kind][0]
    return slice(band.low - low, band.high - low + 1)
