"""The Parquet schemas of every output table. Changing a column means bumping SCHEMA_VERSION.

documents/<lang>/<task>.parquet   kept documents
excluded/<task>.parquet           documents a stage dropped, with the stage and the reason
errors/<task>.parquet             records that could not be read at all (file, offset, reason)

Later stages (dedup, tokenization) append nullable columns; readers select columns by name.
"""

from __future__ import annotations

import pyarrow as pa

SCHEMA_VERSION = "1"

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

QUALITY_SIGNALS = pa.field("quality_signals", pa.map_(pa.string(), pa.float64()))
#: Source-specific provenance that has no column of its own (Wikipedia title, KAKEN award, repo path).
EXTRA = pa.field("extra", pa.map_(pa.string(), pa.string()))

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
