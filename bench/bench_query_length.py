"""Time query handling against question length: keyword tokens (index.normalize.tokenize_query) and key terms
(copilot.qa.answerability.key_terms) of 2k to 32k-word questions must grow linearly (issue 24: a list membership test
made them quadratic, and a 4.7 MB question kept a core busy for over 20 minutes).

Run: .venv/bin/python bench/bench_query_length.py   (prints one line per length: seconds for each function)
"""

from __future__ import annotations

import random
import time

from copilot.qa.answerability import key_terms
from index.normalize import tokenize_query

WORDS = ("the pump is leaking at the seal and the bearing runs hot what torque for the impeller nut REPL BRG C/O "
         "filter P-101 7.4 mm/s noisy amps megger shaking clearance interval").split()


def question(words: int, seed: int = 0) -> str:
    """A question of `words` words: the vocabulary above plus a share of distinct made-up words."""
    rng = random.Random(seed)
    return " ".join(rng.choice(WORDS) if rng.random() < 0.7 else f"part{rng.randrange(10**6)}" for _ in range(words))


def main() -> None:
    idf = {"pump": 2.0, "seal": 2.5, "bearing": 2.0, "impel": 4.5}
    for words in (2000, 8000, 32000):
        text = question(words)
        started = time.perf_counter()
        tokenize_query(text)
        middle = time.perf_counter()
        key_terms(text, idf)
        ended = time.perf_counter()
        print(f"{words:>6} words: tokenize_query {middle - started:.3f} s, key_terms {ended - middle:.3f} s")


if __name__ == "__main__":
    main()
