"""Megatron export, read back by a reader written here from the format description:

.idx = b"MMIDIDX\\x00\\x00" | <Q version=1 | <B dtype code | <Q sequences | <Q document indices |
int32 sizes | int64 byte pointers | int64 document indices; .bin = ids back to back.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from corpus_builder.config.mixture import MixtureConfig
from corpus_builder.mixture import build_mixture_phases, export_megatron
from corpus_builder.phases.base import RunContext
from corpus_builder.phases.inline import run_phases
from corpus_builder.tokenize import build_tokenize_phases
from tests.test_tokenize import tiny_config, write_documents

CODES = {
    1: np.uint8,
    2: np.int8,
    3: np.int16,
    4: np.int32,
    5: np.int64,
    6: np.float64,
    7: np.float32,
    8: np.uint16,
}


def read_indexed(prefix: str) -> tuple[np.dtype, list[np.ndarray], np.ndarray]:
    idx = Path(prefix + ".idx").read_bytes()
    assert idx[:9] == b"MMIDIDX\x00\x00"
    (version,) = struct.unpack_from("<Q", idx, 9)
    (code,) = struct.unpack_from("<B", idx, 17)
    sequences, doc_count = struct.unpack_from("<QQ", idx, 18)
    assert version == 1
    offset = 34
    sizes = np.frombuffer(idx, "<i4", sequences, offset)
    offset += 4 * sequences
    pointers = np.frombuffer(idx, "<i8", sequences, offset)
    offset += 8 * sequences
    documents = np.frombuffer(idx, "<i8", doc_count, offset)
    assert offset + 8 * doc_count == len(idx)
    dtype = np.dtype(CODES[code])
    data = np.memmap(prefix + ".bin", dtype=dtype, mode="r")
    assert data.nbytes == int(sizes.sum()) * dtype.itemsize
    sequences_ids = [
        np.asarray(data[p // dtype.itemsize : p // dtype.itemsize + s])
        for p, s in zip(pointers, sizes, strict=True)
    ]
    return dtype, sequences_ids, documents


@pytest.fixture(scope="module")
def shards(tmp_path_factory) -> list[Path]:
    out = tmp_path_factory.mktemp("meg")
    write_documents(out, {("ja", "cc"): [80], ("en", "cc"): [60]})
    ctx = RunContext(str(out), seed=5)
    run_phases(
        build_tokenize_phases(tiny_config(train={"sample_docs": {"ja": 80, "en": 60}}), ctx, "documents")
    )
    run_phases(build_mixture_phases(MixtureConfig(subsets={"cc/ja": {"epochs": 2}}, shard_tokens=2500), ctx))
    return sorted((out / "mixture" / "shards").glob("*.parquet"))


def test_export_reads_back(shards: list[Path], tmp_path: Path) -> None:
    assert len(shards) >= 2
    result = export_megatron([str(p) for p in shards], str(tmp_path / "meg" / "mix"))
    assert result.dtype == "uint16"
    weights = result.data_path.split()
    assert weights[1::2] == [str(tmp_path / "meg" / f"mix_{p.stem}") for p in shards]
    assert (tmp_path / "meg" / "mix.data_path.txt").read_text().strip() == result.data_path
    for shard, prefix, weight in zip(shards, weights[1::2], weights[0::2], strict=True):
        table = pq.read_table(shard)
        dtype, sequences, documents = read_indexed(prefix)
        assert dtype == np.uint16
        expected = table["input_ids"].to_pylist()
        assert [s.tolist() for s in sequences] == expected
        assert documents.tolist() == list(range(table.num_rows + 1))
        assert int(weight) == pa.compute.sum(table["token_count"]).as_py()
    assert not list(tmp_path.rglob("*.inprogress"))


def test_large_vocabulary_is_int32(tmp_path: Path) -> None:
    table = pa.table(
        {"input_ids": pa.array([[70000, 5, 2], [99999, 2]], pa.list_(pa.uint32())), "token_count": [3, 2]}
    )
    pq.write_table(table, tmp_path / "000000.parquet")
    result = export_megatron([str(tmp_path / "000000.parquet")], str(tmp_path / "x"))
    dtype, sequences, documents = read_indexed(result.prefixes[0])
    assert dtype == np.int32 and result.dtype == "int32"
    assert [s.tolist() for s in sequences] == [[70000, 5, 2], [99999, 2]]
    assert documents.tolist() == [0, 1, 2]
