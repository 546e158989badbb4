"""Decontamination: find documents holding evaluation items (Japanese by characters, English by words).

    items = read_items(ItemSource(Path("jcommonsenseqa-valid.jsonl"), fields=("question", "choice0", ...)))
    builder = IndexBuilder()
    builder.add_set("jcommonsenseqa", items, min_share=0.5)
    matcher = Matcher(builder.build())
    for match in matcher.scan(document_text): ...   # set, item id, share, paragraph spans

Modules: eval_items (reading the user's files), normalize + ngrams (units and hashes), index (sorted
arrays of n-gram hashes), match (one document). This package depends on no other part of the project
except text helpers, so a phase can wrap it: build the index once (or `load` a saved one), scan each
document, drop it or `remove_spans` the matching paragraphs.
"""

from corpus_builder.decontaminate.eval_items import EvalItem, EvalItemsError, ItemSource, read_items
from corpus_builder.decontaminate.index import (
    BYTES_PER_ENTRY,
    MAX_BYTES_PER_ENTRY,
    DecontaminationIndex,
    IndexBuilder,
    NgramSettings,
    SetStats,
    build_index,
)
from corpus_builder.decontaminate.match import ItemMatch, Matcher, matched_spans, remove_spans

__all__ = [
    "BYTES_PER_ENTRY",
    "DecontaminationIndex",
    "MAX_BYTES_PER_ENTRY",
    "EvalItem",
    "EvalItemsError",
    "IndexBuilder",
    "ItemMatch",
    "ItemSource",
    "Matcher",
    "NgramSettings",
    "SetStats",
    "build_index",
    "matched_spans",
    "read_items",
    "remove_spans",
]
