"""The tables dedup leaves for users and later runs: deduped documents, the cluster table, the index.

Their folders are named in `corpus_builder.contracts.outputs` (DEDUPED, DEDUP_CLUSTERS,
DEDUP_INDEX); the dropped documents go to EXCLUDED with the document phase's excluded schema.
"""

from __future__ import annotations

import orjson
import pyarrow as pa

from corpus_builder.writers.schema import DOCUMENT_SCHEMA

#: Why a document was dropped → the stage name its excluded row and counts carry.
STAGES = {
    "exact_dup": "dedup.exact",
    "url_dup": "dedup.url",
    "near_dup": "dedup.near",
    "linked_dup": "dedup.linked",
}

#: Written into every index file; an index from another format or MinHash setting is refused.
INDEX_FORMAT = "1"

DEDUPED_EXTRA = [
    pa.field("dup_cluster_id", pa.string(), nullable=False),
    pa.field("dup_cluster_size", pa.int32()),
]
CLUSTER_SCHEMA = pa.schema(
    [
        pa.field("id", pa.string(), nullable=False),
        pa.field("cluster_id", pa.string(), nullable=False),
        pa.field("cluster_size", pa.int32(), nullable=False),
        pa.field("kept", pa.bool_(), nullable=False),
        pa.field("reason", pa.string()),
    ],
    metadata={"corpus_builder.table": "dedup_clusters"},
)


def deduped_schema(input_schema: pa.Schema) -> pa.Schema:
    """The input's columns plus the cluster id and size (replacing them if a rerun left them)."""
    fields = [f for f in input_schema if f.name not in ("dup_cluster_id", "dup_cluster_size")]
    meta = dict(input_schema.metadata or DOCUMENT_SCHEMA.metadata)
    meta[b"corpus_builder.table"] = b"deduped"
    return pa.schema([*fields, *DEDUPED_EXTRA], metadata=meta)


def index_params_json(params: dict[str, int]) -> bytes:
    """The MinHash parameters as stored in (and compared against) an index file's metadata."""
    return orjson.dumps(params, option=orjson.OPT_SORT_KEYS)


def index_schema(params: dict[str, int]) -> pa.Schema:
    return pa.schema(
        [
            pa.field("id", pa.string(), nullable=False),
            pa.field("source", pa.string(), nullable=False),
            pa.field("snapshot", pa.string()),
            pa.field("lang", pa.string()),
            pa.field("exact", pa.binary(16), nullable=False),
            pa.field("url", pa.uint64(), nullable=False),
            pa.field(
                "bands",
                pa.list_(pa.uint64(), params["bands"]) if params["bands"] else pa.list_(pa.uint64(), 1),
            ),
        ],
        metadata={
            "corpus_builder.dedup_index": INDEX_FORMAT,
            "corpus_builder.dedup_params": index_params_json(params).decode(),
        },
    )
