"""Every output folder of a run loads as one table with HF `datasets`, pyarrow, polars and DuckDB."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from corpus_builder.writers.schema import (
    DOCUMENT_SCHEMA,
    EXCLUDED_SCHEMA,
    SCHEMA_VERSION,
    as_dict,
)

datasets = pytest.importorskip("datasets")

FOLDERS = {
    "documents": "documents/*/*.parquet",
    "excluded": "excluded/*.parquet",
    "errors": "errors/*.parquet",
    "deduped": "deduped/*/*.parquet",
    "decontaminated": "decontaminated/*/*.parquet",
    "decontaminate/cuts": "decontaminate/cuts/*.parquet",
    "tokenized": "tokenized/*/*.parquet",
    "mixture/shards": "mixture/shards/*.parquet",
}


def _files(out: Path, pattern: str) -> list[Path]:
    files = sorted(out.glob(pattern))
    assert files, f"the sample run wrote nothing matching {pattern}"
    return files


def _rows(files: list[Path]) -> int:
    return sum(pq.ParquetFile(f).metadata.num_rows for f in files)


def test_no_map_columns_anywhere(sample_run: Path) -> None:
    def has_map(t: pa.DataType) -> bool:
        if pa.types.is_map(t):
            return True
        return any(has_map(t.field(i).type) for i in range(t.num_fields))

    for pattern in FOLDERS.values():
        for f in _files(sample_run, pattern):
            schema = pq.read_schema(f)
            assert not [x.name for x in schema if has_map(x.type)], f
            assert schema.metadata[b"corpus_builder.schema_version"] == SCHEMA_VERSION.encode()


@pytest.mark.parametrize("folder", FOLDERS)
def test_one_schema_per_folder(sample_run: Path, folder: str) -> None:
    files = _files(sample_run, FOLDERS[folder])
    schemas = {f.name: pq.read_schema(f).remove_metadata() for f in files}
    first = next(iter(schemas.values()))
    assert all(s.equals(first) for s in schemas.values()), schemas


def test_dedup_exclusions_share_the_excluded_schema(sample_run: Path) -> None:
    dedup = _files(sample_run, "excluded/dedup-*.parquet")
    phase = _files(sample_run, "excluded/0*.parquet")
    for f in dedup + phase:
        assert pq.read_schema(f).remove_metadata().equals(EXCLUDED_SCHEMA.remove_metadata()), f
    assert all(v is not None for f in dedup for v in pq.read_table(f).column("duplicate_of").to_pylist())
    assert all(v is None for f in phase for v in pq.read_table(f).column("duplicate_of").to_pylist())


@pytest.mark.parametrize("folder", FOLDERS)
def test_hf_datasets_loads_every_folder(sample_run: Path, folder: str, tmp_path: Path) -> None:
    files = _files(sample_run, FOLDERS[folder])
    loaded = datasets.load_dataset(
        "parquet", data_files=[str(f) for f in files], split="train", cache_dir=str(tmp_path)
    )
    assert loaded.num_rows == _rows(files)
    if "quality_signals" in loaded.column_names:
        signals = [as_dict(row) for row in loaded["quality_signals"] if row]
        assert signals and all(isinstance(v, float) for s in signals for v in s.values())


@pytest.mark.parametrize("folder", FOLDERS)
def test_pyarrow_polars_duckdb_load_every_folder(sample_run: Path, folder: str) -> None:
    files = _files(sample_run, FOLDERS[folder])
    glob = str(sample_run / FOLDERS[folder])
    rows = _rows(files)
    assert ds.dataset([str(f) for f in files], format="parquet").to_table().num_rows == rows
    assert pl.scan_parquet(glob).select(pl.len()).collect().item() == rows
    assert pl.read_parquet(glob).height == rows
    assert duckdb.sql(f"SELECT count(*) FROM read_parquet('{glob}')").fetchall() == [(rows,)]


def test_signals_are_queryable_as_key_value_lists(sample_run: Path) -> None:
    glob = str(sample_run / FOLDERS["documents"])
    hiragana = duckdb.sql(
        f"""SELECT id,
                   list_filter(quality_signals, lambda s: s.key = 'swallow.hiragana_fraction')[1].value AS v
            FROM read_parquet('{glob}') WHERE lang = 'ja'"""
    ).fetchall()
    assert hiragana and all(v is not None and 0 <= v <= 1 for _, v in hiragana)
    by_polars = (
        pl.read_parquet(glob)
        .filter(pl.col("lang") == "ja")
        .explode("quality_signals")
        .unnest("quality_signals")
        .filter(pl.col("key") == "swallow.hiragana_fraction")
    )
    assert sorted(zip(by_polars["id"], by_polars["value"], strict=True)) == sorted(hiragana)


def test_documents_schema_is_the_written_one(sample_run: Path) -> None:
    for f in _files(sample_run, FOLDERS["documents"]):
        schema = pq.read_schema(f)
        assert schema.remove_metadata().equals(DOCUMENT_SCHEMA.remove_metadata()), f
        assert schema.metadata[b"corpus_builder.table"] == b"documents"
