"""Which persons each sentence of a report names. Pure.

Harm findings (`maxim.prioritise.evidence`) and inferred roles (`maxim.network.roles`) attribute a
sentence to the persons it names. Asking every sentence about every name costs sentences x
names: a long report naming thousands of people took minutes, holding the network update's lock.
Here each distinct name is searched for once in the whole text (the sentences joined by a
separator no name holds), and a hit skips to the next sentence, so the cost is about the text's
length per distinct name, in C, and the answer is the same as asking every sentence.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Sequence
from itertools import accumulate

SENTENCE = re.compile(r"(?<=[.!?])\s+")
_SEPARATOR = "\x00"


def split_sentences(text: str) -> list[str]:
    """The sentences of a report's text, case-folded as the names they are searched for."""
    return [sentence.casefold() for sentence in SENTENCE.split(text)]


def named_by_sentence(sentences: Sequence[str], names: Sequence[Sequence[str]]) -> list[list[int]]:
    """For each sentence, the indices (ascending) of the name lists it contains any name of:
    `n in sentence` for every name of every list, without asking every sentence every name."""
    owners: dict[str, list[int]] = defaultdict(list)
    for i, listed in enumerate(names):
        for name in dict.fromkeys(listed):
            owners[name].append(i)
    hits: list[set[int]] = [set() for _ in sentences]
    joined = _SEPARATOR.join(sentences)
    starts = list(accumulate((len(s) + 1 for s in sentences[:-1]), initial=0))
    for name, who in owners.items():
        if not name or _SEPARATOR in name:  # could span sentences in the joined text: ask each one
            for k, sentence in enumerate(sentences):
                if name in sentence:
                    hits[k].update(who)
            continue
        at = joined.find(name)
        while at >= 0:
            k = bisect_right(starts, at) - 1
            hits[k].update(who)
            if k + 1 >= len(starts):
                break
            at = joined.find(name, starts[k + 1])
    return [sorted(h) for h in hits]
