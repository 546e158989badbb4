"""The Parquet schemas of every output table. Changing a column means bumping SCHEMA_VERSION.

documents/<lang>/<task>.parquet   kept documents
excluded/<task>.parquet           documents a stage dropped, with the stage and the reason
errors/<task>.parquet             records that could not be read at all (file, offset, reason)

Later stages append columns to a copy of these: deduped/ adds dup_cluster_id and dup_cluster_size,
tokenized/ adds token_count and input_ids. Every file of one folder has the same schema, so a glob
over a folder loads as one table (HF `datasets`, pyarrow, polars, DuckDB; tests/test_output_schema.py).

Version 2: `quality_signals` and `extra` are lists of {key, value} structs instead of Arrow maps
(HF `datasets` has no feature type for maps, huggingface/datasets#5612), and every excluded/ file
has `duplicate_of` (null outside dedup), so dedup's exclusions share the document phase's schema.
"""

from __future__ import annotations

import pyarrow as pa

SCHEMA_VERSION = "2"

_PROVENANCE = [
    pa.field("id", pa.string(), nullable=False),
    pa.field("source", pa.string(), nullable=False),
    pa.field("url", pa.string()),
    pa.field("snapshot", pa.string()),
    pa.field("warc_path", pa.string(), nullable=False),
    pa.field("record_id", pa.string()),
    pa.field("offset", pa.int64()),
    pa.field("date", pa.string()),
]



def key_value_list(name: str, value_type: pa.DataType) -> pa.Field:
    """A string-keyed mapping as list<struct<key, value>>, in the order the pipeline produced it."""
    entry = pa.struct([pa.field("key", pa.string(), nullable=False), pa.field("value", value_type)])
    return pa.field(name, pa.list_(pa.field("item", entry, nullable=False)))


def as_dict(entries: list[dict[str, object]] | None) -> dict[str, object]:
    """A `quality_signals`/`extra` cell as read by pyarrow's to_pylist() → {key: value}."""
    return {entry["key"]: entry["value"] for entry in entries or ()}


#: Every rule value computed for the document (e.g. swallow.hiragana_fraction).
QUALITY_SIGNALS = key_value_list("quality_signals", pa.float64())
#: Source-specific provenance that has no column of its own (Wikipedia title, KAKEN award, repo path).
EXTRA = key_value_list("extra", pa.string())

DOCUMENT_SCHEMA = pa.schema(
    [
        _PROVENANCE[0],
        pa.field("text", pa.string(), nullable=False),
        *_PROVENANCE[1:],
        pa.field("lang", pa.string(), nullable=False),
        pa.field("lang_score", pa.float32(), nullable=False),
        pa.field("charset", pa.string()),
        pa.field("charset_method", pa.string()),
        pa.field("extractor", pa.string()),
        QUALITY_SIGNALS,
        EXTRA,
    ],
    metadata={"corpus_builder.schema_version": SCHEMA_VERSION, "corpus_builder.table": "documents"},
)

EXCLUDED_SCHEMA = pa.schema(
    [
        *_PROVENANCE,
        pa.field("stage", pa.string(), nullable=False),
        pa.field("reason", pa.string(), nullable=False),
        pa.field("lang", pa.string()),
        pa.field("lang_score", pa.float32()),
        pa.field("text", pa.string()),
        pa.field("text_chars", pa.int64()),
        QUALITY_SIGNALS,
        EXTRA,
        # the kept copy's id, for dedup's exclusions (excluded/dedup-*.parquet); null for the others
        pa.field("duplicate_of", pa.string()),
    ],
    metadata={"corpus_builder.schema_version": SCHEMA_VERSION, "corpus_builder.table": "excluded"},
)

ERROR_SCHEMA = pa.schema(
    [
        pa.field("source", pa.string(), nullable=False),
        pa.field("warc_path", pa.string(), nullable=False),
        pa.field("offset", pa.int64()),
        pa.field("record_id", pa.string()),
        pa.field("reason", pa.string(), nullable=False),
    ],
    metadata={"corpus_builder.schema_version": SCHEMA_VERSION, "corpus_builder.table": "errors"},
)
