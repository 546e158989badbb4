"""Benchmark: the implementation choices that code comments point here, each against the
alternative it replaced, measured side by side in one run.

* Swallow n-gram statistics: numpy keys vs the pure-Python version (quality/swallow.py).
* n-gram strings grown by `map(add, ...)` from the previous level vs slicing the text.
* NG-word counting: the trie-guided ListOrderMatcher vs HojiChar's list-order alternation regex.
* Token ids packed with `array.array.extend` vs `pa.array` on nested lists (tokenize/tokenizer.py).
* Preset YAML parsed by libyaml's CSafeLoader vs PyYAML's pure-Python SafeLoader.

Japanese text is the jawiki excerpt of /work/shared/data, cut into 5,000-character documents.

    python -m bench.implementation_choices [--data /work/shared/data] [--docs 200] [--repeat 5]

Prints a markdown table.  Not part of the test run.
"""

from __future__ import annotations

import argparse
import re
import time
from array import array
from collections.abc import Callable
from operator import add
from pathlib import Path

import numpy as np
import pyarrow as pa
import yaml

from bench.filters import WIKI, wiki_docs
from corpus_builder.quality import swallow
from corpus_builder.quality.ngword import ListOrderMatcher

REPO = Path(__file__).resolve().parent.parent
DOC_CHARS = 5_000


def best_seconds(function: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def japanese_docs(data: Path, count: int) -> list[str]:
    text = "\n".join(wiki_docs(data / WIKI))
    return [text[i : i + DOC_CHARS] for i in range(0, len(text) - DOC_CHARS, DOC_CHARS)][:count]


def grams_by_slicing(text: str) -> None:
    for n in range(2, 11):
        [text[i : i + n] for i in range(len(text) - n + 1)]


def grams_by_concatenation(text: str) -> None:
    chars = list(text)
    grams = list(map(add, chars, chars[1:]))
    for n in range(3, 11):
        grams = list(map(add, grams, chars[n - 1 :]))


def alternation_pattern(words: list[str], isolate_katakana: bool) -> re.Pattern[str]:
    """HojiChar NgWordsFilterJa's pattern (as tests/test_llmjp_preset.py builds its oracle)."""
    katakana = [w for w in words if isolate_katakana and re.fullmatch("[ァ-ヴー]+", w)]
    branches = [re.escape(w) for w in words if w not in katakana]
    if katakana:
        branches.append(f"(?<![ァ-ヴー])({'|'.join(map(re.escape, katakana))})(?![ァ-ヴー])")
    return re.compile("|".join(branches))


def word_list() -> list[str]:
    """Every shipped Japanese list, in file order: the largest list-order input the repo holds."""
    words: list[str] = []
    for path in sorted((REPO / "filters" / "wordlists").glob("*_ja.txt")):
        lines = path.read_text(encoding="utf-8").splitlines()
        words += [w.strip() for w in lines if w.strip() and not w.startswith("#")]
    return list(dict.fromkeys(words))


def token_batches(docs: list[str]) -> list[list[int]]:
    """Stand-in token ids (code points modulo a 65k vocabulary), one list per document."""
    return [[ord(c) % 65_000 for c in doc] for doc in docs]


def pack_with_array(ids: list[list[int]]) -> pa.ListArray:
    """What `Tokenizer.encode_arrow` does with the ids of a batch."""
    values = array("H")
    for doc in ids:
        values.extend(doc)
    offsets = np.zeros(len(ids) + 1, dtype=np.int32)
    np.cumsum(np.fromiter(map(len, ids), dtype=np.int64, count=len(ids)), out=offsets[1:])
    flat = pa.array(np.frombuffer(values, dtype=np.uint16), type=pa.uint16())
    return pa.ListArray.from_arrays(pa.array(offsets), flat)


def rows(docs: list[str], repeat: int) -> list[tuple[str, str, float, float]]:
    words = word_list()
    matcher, pattern = ListOrderMatcher(words, isolate_katakana=True), alternation_pattern(words, True)
    ids = token_batches(docs)
    presets = [p.read_text(encoding="utf-8") for p in sorted((REPO / "filters" / "presets").glob("*.yaml"))]
    cases = [
        (
            "swallow n-gram statistics",
            "numpy vs pure Python",
            lambda: [swallow._ngram_statistics_numpy(d) for d in docs],
            lambda: [swallow._ngram_statistics_python(d) for d in docs],
        ),
        (
            "n-grams n = 2..10",
            "map(add) vs slicing",
            lambda: [grams_by_concatenation(d) for d in docs],
            lambda: [grams_by_slicing(d) for d in docs],
        ),
        (
            f"NG-word count ({len(words)} words)",
            "trie vs alternation",
            lambda: [matcher.count(d) for d in docs],
            lambda: [len(pattern.findall(d)) for d in docs],
        ),
        (
            "token id packing",
            "array.extend vs pa.array",
            lambda: pack_with_array(ids),
            lambda: pa.array(ids, type=pa.list_(pa.uint16())),
        ),
        (
            f"preset YAML ({len(presets)} files)",
            "CSafeLoader vs SafeLoader",
            lambda: [yaml.load(p, Loader=yaml.CSafeLoader) for p in presets],
            lambda: [yaml.load(p, Loader=yaml.SafeLoader) for p in presets],
        ),
    ]
    return [
        (name, pair, best_seconds(ours, repeat), best_seconds(other, repeat))
        for name, pair, ours, other in cases
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default="/work/shared/data")
    parser.add_argument("--docs", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    docs = japanese_docs(Path(args.data), args.docs)
    print(f"{len(docs)} Japanese documents of {DOC_CHARS:,} characters, best of {args.repeat}\n")
    print("| choice | ours vs the alternative | ours ms | alternative ms | speed-up |")
    print("|---|---|---:|---:|---:|")
    for name, pair, ours, other in rows(docs, args.repeat):
        print(f"| {name} | {pair} | {ours * 1e3:,.1f} | {other * 1e3:,.1f} | {other / ours:.1f}x |")


if __name__ == "__main__":
    main()
