"""Export mixture shards to Megatron-LM's indexed dataset (`MMapIndexedDataset`, .bin + .idx).

Layout written (little-endian), as in Megatron-LM's `megatron/core/datasets/indexed_dataset.py`
(`_IndexWriter` / `_IndexReader`):

`<prefix>.bin`: the token ids of every sequence, concatenated, in the index's dtype, no header.

`<prefix>.idx`:

| bytes | content |
|---|---|
| 9 | magic `b"MMIDIDX\\x00\\x00"` |
| 8 | version, `<Q` = 1 |
| 1 | dtype code, `<B`: 1 uint8, 2 int8, 3 int16, 4 int32, 5 int64, 6 float64, 7 float32, 8 uint16 |
| 8 | sequence count S, `<Q` |
| 8 | document-index count D, `<Q` (= documents + 1) |
| 4·S | sequence lengths (elements), int32 |
| 8·S | sequence pointers (byte offsets into .bin), int64 |
| 8·D | document indices, int64: document k is sequences [doc[k], doc[k+1]); starts with 0 |

One document = one sequence here (as Megatron's preprocess_data.py writes without sentence
splitting), so the document indices are 0, 1, …, S. EOD is whatever the ids already hold
(`tokenize.add_eos`). dtype: uint16 ids stay uint16 (code 8); uint32 ids are written as int32
(code 4), the type Megatron itself uses for vocabularies ≥ 65,500 — it has no uint32 code.

`--data-path` weights are each shard's token count: the shards already contain the epochs
(documents repeated), so sampling proportional to size reproduces the mixture.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass

import fsspec
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from corpus_builder.writers.atomic import atomic_open_url

INDEX_HEADER = b"MMIDIDX\x00\x00"
INDEX_VERSION = 1
DTYPE_CODES = {
    np.dtype(np.uint8): 1,
    np.dtype(np.int8): 2,
    np.dtype(np.int16): 3,
    np.dtype(np.int32): 4,
    np.dtype(np.int64): 5,
    np.dtype(np.float64): 6,
    np.dtype(np.float32): 7,
    np.dtype(np.uint16): 8,
}


@dataclass(frozen=True)
class MegatronExport:
    prefixes: list[str]  # `<prefix>` of each .bin/.idx pair, in shard order
    tokens: list[int]  # tokens per pair (the weights)
    documents: list[int]
    dtype: str

    @property
    def data_path(self) -> str:
        """The value of Megatron's `--data-path`: `w1 p1 w2 p2 …`."""
        return " ".join(f"{w} {p}" for w, p in zip(self.tokens, self.prefixes, strict=True))


def _dtype(value_type: pa.DataType) -> np.dtype:
    if value_type == pa.uint16():
        return np.dtype(np.uint16)
    if value_type in (pa.uint32(), pa.int32(), pa.int64(), pa.uint64()):
        return np.dtype(np.int32)
    raise ValueError(f"input_ids of type {value_type} cannot be exported")


def write_indexed_dataset(shard: str, prefix: str, batch_rows: int = 8192) -> tuple[int, int, np.dtype]:
    """One Parquet shard (`input_ids` column) → `<prefix>.bin` + `<prefix>.idx`."""
    lengths: list[np.ndarray] = []
    with fsspec.open(shard, "rb") as raw:
        reader = pq.ParquetFile(raw)
        dtype = _dtype(reader.schema_arrow.field("input_ids").type.value_type)
        with atomic_open_url(prefix + ".bin") as out:
            for batch in reader.iter_batches(batch_size=batch_rows, columns=["input_ids"]):
                column = batch.column(0)
                values = column.flatten().to_numpy(zero_copy_only=False)
                if dtype == np.int32 and values.size and values.max() > np.iinfo(np.int32).max:
                    raise ValueError(f"{shard}: token id beyond int32")
                out.write(values.astype(dtype, copy=False).tobytes())
                lengths.append(pa.compute.list_value_length(column).to_numpy(zero_copy_only=False))
    sizes = np.concatenate(lengths).astype(np.int32) if lengths else np.zeros(0, np.int32)
    pointers = np.zeros(len(sizes), dtype=np.int64)
    if len(sizes) > 1:
        np.cumsum(sizes[:-1].astype(np.int64) * dtype.itemsize, out=pointers[1:])
    documents = np.arange(len(sizes) + 1, dtype=np.int64)
    with atomic_open_url(prefix + ".idx") as out:
        out.write(INDEX_HEADER)
        out.write(struct.pack("<Q", INDEX_VERSION))
        out.write(struct.pack("<B", DTYPE_CODES[dtype]))
        out.write(struct.pack("<Q", len(sizes)))
        out.write(struct.pack("<Q", len(documents)))
        out.write(sizes.astype("<i4").tobytes())
        out.write(pointers.astype("<i8").tobytes())
        out.write(documents.astype("<i8").tobytes())
    return len(sizes), int(sizes.sum(dtype=np.int64)), dtype


def export_megatron(shards: Sequence[str], out_prefix: str) -> MegatronExport:
    """Write `<out_prefix>_<shard stem>.bin/.idx` for every Parquet shard (paths or fsspec URLs) and
    `<out_prefix>.data_path.txt` holding the `--data-path` string; returns what was written."""
    import pyarrow.compute  # noqa: F401  (list_value_length)

    prefixes, tokens, documents, dtypes = [], [], [], set()
    for shard in shards:
        stem = shard.rstrip("/").rsplit("/", 1)[-1].removesuffix(".parquet")
        prefix = f"{out_prefix}_{stem}"
        docs, toks, dtype = write_indexed_dataset(shard, prefix)
        prefixes.append(prefix)
        tokens.append(toks)
        documents.append(docs)
        dtypes.add(str(dtype))
    if len(dtypes) > 1:
        raise ValueError(f"shards have different id types: {sorted(dtypes)}")
    result = MegatronExport(prefixes, tokens, documents, dtypes.pop() if dtypes else "uint16")
    with atomic_open_url(out_prefix + ".data_path.txt") as f:
        f.write((result.data_path + "\n").encode())
    return result
