"""The one place that decides how the bot answers a message: one card, a list, or "không tìm thấy".

The decision rests on evidence that can be measured (index.model.EVIDENCE) about the best
candidates the ranking found:

- ``score``, ``margin``: the best candidate's score, and how far it stands above the next;
- ``explained``: how much of the message the best procedure's own text explains, each syllable
  weighed by how rare it is in the catalogue (a rare word such as "phở" says more than "làm");
- ``known``: the share of the message's syllables that the catalogue knows at all (gibberish: none;
  small talk: few), a syllable corrected as a typo counting as unknown;
- ``missed``: the rarity of the rarest syllable the best procedure does not explain ("công thức nấu
  phở bò" and a card about cattle: "phở" is missed);
- ``coverage``: how much of the message the best procedure's name (or an everyday name of it)
  explains — not how much of the name the message holds: "khai sinh" asks fully for "Đăng ký khai
  sinh";
- ``said``: how much the message says at all, its syllables weighed by rarity ("đăng ký" alone says
  little: nearly every procedure holds it);
- ``phrase``: how many of the message's word pairs the best procedure's names hold in that order
  ("thẻ sinh viên" is not "thẻ hướng dẫn viên");
- ``long_…``: some of these again for a long message (a portal question telling its case), where a
  few words the best procedure does not explain prove less.

Two logistic models of index.model weigh them: whether any procedure shown answers the message, and
whether the first one does. The bot, the command line (``tthc-bot search --json``) and the
evaluation (``tthc-bot eval``) all take this decision, so what is measured is what the bot does.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from enum import StrEnum

from index.entries import Candidate
from index.model import EVIDENCE, FEATURES, Model
from index.ranking import LONG_QUERY

# Every syllable counts a little, however common: a message of common words only ("khai sinh" where
# every procedure lists a birth certificate among its papers) is still explained by a name holding them.
RARITY_FLOOR = 0.1
# Two procedures scoring within this of each other are a tie, whatever the card model says: the user
# chooses between them rather than being shown one (level twins differ by a few thousandths).
TIE = 0.02
SAID_FULLY = 3.0  # a message whose syllables' rarities add up to this says all a message can
_COVERAGE, _PHRASE = FEATURES.index("coverage"), FEATURES.index("phrase")


class Answer(StrEnum):
    CARD = "card"  # one procedure answers: its card
    LIST = "list"  # the procedures shown may answer: the user picks one
    NONE = "none"  # no good match: "không tìm thấy", the portal's search


def rarity(document_frequency: int, documents: int) -> float:
    """How rare a syllable is in the catalogue, from 0 (in every procedure) to 1 (in none)."""
    if documents <= 1:
        return 1.0
    return max(0.0, math.log(documents / (document_frequency + 1)) / math.log(documents))


def evidence(
    content: list[str],
    corrected: frozenset[str],
    ranked: list[Candidate],
    frequency: Mapping[str, int],
    documents: int,
) -> tuple[float, ...]:
    """index.model.EVIDENCE for a message's ``content`` syllables (``corrected``: those that were
    typos), its ``ranked`` candidates, and the catalogue's syllable ``frequency`` over ``documents``."""
    if not content or not ranked:
        return (0.0,) * len(EVIDENCE)
    best = ranked[0]
    second = ranked[1].score if len(ranked) > 1 else 0.0
    syllables = list(dict.fromkeys(content))
    weight = {
        s: RARITY_FLOOR + (1 - RARITY_FLOOR) * rarity(frequency.get(s, 0), documents) for s in syllables
    }
    total = sum(weight.values()) or 1.0
    explained = sum(weight[s] for s in syllables if s in best.entry.all_syllables) / total
    known = sum(1 for s in syllables if frequency.get(s, 0) and s not in corrected) / len(syllables)
    missed = max((weight[s] for s in syllables if s not in best.entry.all_syllables), default=0.0)
    coverage, phrase = best.features[_COVERAGE], best.features[_PHRASE]
    long = min(len(syllables) / LONG_QUERY, 1.0)
    return (
        best.score,
        best.score - second,
        explained,
        known,
        missed,
        coverage,
        phrase,
        min(sum(weight.values()) / SAID_FULLY, 1.0),
        long * best.score,
        long * explained,
        long * missed,
        long * known,
    )


def decide(values: tuple[float, ...], model: Model, *, broad: bool = False) -> Answer:
    """How to answer, from the ``values`` of ``evidence``; a ``broad`` message (it names no more than
    a whole field of the catalogue, "chứng thực") gets that field's procedures as a list."""
    if broad:
        return Answer.LIST
    if model.answerable.probability(values) < model.none_below:
        return Answer.NONE
    if values[1] >= TIE and model.card.probability(values) >= model.card_from:
        return Answer.CARD
    return Answer.LIST


def worth_showing(values: tuple[float, ...], model: Model) -> bool:
    """Whether a procedure whose ``evidence`` (as if it were the best) are ``values`` may answer."""
    return model.answerable.probability(values) >= model.none_below
