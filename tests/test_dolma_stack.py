"""Dolma JSON-lines and The Stack Parquet readers on files written here."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from corpus_builder.sources.documents import SourceDocument, SourceError
from corpus_builder.sources.dolma import iter_dolma
from corpus_builder.sources.stack import iter_stack

LINES = [
    {
        "id": "a1",
        "text": "First document.",
        "source": "c4",
        "added": "2023-04-01T00:00:00Z",
        "created": "2019-05-01T00:00:00Z",
        "metadata": {"url": "https://example.org/a", "lang": "en", "len": 15},
    },
    "not json {",
    {"id": "a2", "text": "Second document.", "source": "c4", "metadata": {"nested": {"x": 1}}},
    {"text": "no id"},
    [1, 2],
    {"id": 7, "text": "Third, numeric id.", "added": "2023-04-02"},
]


def _write(path: Path, compress: str) -> Path:
    data = "\n".join(x if isinstance(x, str) else json.dumps(x) for x in LINES).encode() + b"\n\n"
    if compress == "gz":
        data = gzip.compress(data)
    elif compress == "zst":
        import zstandard

        data = zstandard.ZstdCompressor().compress(data)
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("compress", ["plain", "gz", "zst"])
def test_dolma(tmp_path: Path, compress: str) -> None:
    path = _write(tmp_path / f"part-0000.jsonl.{compress}", compress)
    items = list(iter_dolma(str(path), lang="en"))
    docs = [i for i in items if isinstance(i, SourceDocument)]
    errs = [i for i in items if isinstance(i, SourceError)]
    assert [d.id for d in docs] == ["c4/a1", "c4/a2", "7"]
    d = docs[0]
    assert d.url == "https://example.org/a" and d.date == "2019-05-01T00:00:00Z" and d.offset == 1
    assert d.extra["source"] == "c4" and d.extra["metadata.len"] == "15" and d.lang_hint == "en"
    assert "metadata.nested" not in docs[1].extra and docs[2].date == "2023-04-02"
    assert [(e.offset, e.reason.split(":")[0]) for e in errs] == [(2, "line 2"), (4, "line 4"), (5, "line 5")]


def test_dolma_truncated_gzip(tmp_path: Path) -> None:
    path = _write(tmp_path / "x.json.gz", "gz")
    path.write_bytes(path.read_bytes()[:-12])
    items = list(iter_dolma(str(path)))
    assert isinstance(items[-1], SourceError) and "ends early" in items[-1].reason


def test_stack_parquet(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    d = tmp_path / "data" / "python"
    d.mkdir(parents=True)
    table = pa.table(
        {
            "hexsha": ["h1", "h2", "h3"],
            "content": ["print('hi')\n", None, "def f():\n    return 1\n"],
            "max_stars_repo_path": ["a/b.py", "c.py", "pkg/m.py"],
            "max_stars_repo_name": ["org/repo", "org/other", "x/y"],
            "max_stars_repo_licenses": [["MIT"], ["Apache-2.0"], ["MIT", "BSD-3-Clause"]],
            "ext": ["py", "py", "py"],
        }
    )
    pq.write_table(table, d / "train-00000.parquet")
    items = list(iter_stack(str(d / "train-00000.parquet")))
    assert isinstance(items[1], SourceError) and items[1].record_id == "org/other:c.py"
    doc = items[2]
    assert isinstance(doc, SourceDocument) and doc.id == "h3" and doc.record_id == "x/y:pkg/m.py"
    assert doc.extra == {
        "lang": "python",
        "license": ["MIT", "BSD-3-Clause"],
        "repo": "x/y",
        "path": "pkg/m.py",
        "ext": "py",
    }
    assert doc.lang_hint is None and doc.offset == 2


def test_stack_licence_lists_through_the_code_filter(tmp_path: Path) -> None:
    """A file licensed MIT and Apache-2.0 is kept (both allowed); MIT with GPL-3.0-only is dropped and
    names the licence that is not allowed; the output shows the list comma-separated."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from corpus_builder.run import RunOptions, run_pipeline
    from corpus_builder.writers.schema import as_dict

    code = "".join(f"def add_{i}(a, b):\n    return a + b + {i}\n\n" for i in range(20))
    d = tmp_path / "the-stack" / "data" / "python"
    d.mkdir(parents=True)
    licences = [["MIT", "Apache-2.0"], ["MIT", "GPL-3.0-only"], ["Apache-2.0"]]
    pq.write_table(
        pa.table(
            {
                "hexsha": ["dual", "mixed", "single"],
                "content": [code, code.replace("add_", "sub_"), code.replace("add_", "mul_")],
                "max_stars_repo_path": ["a.py", "b.py", "c.py"],
                "max_stars_repo_name": ["org/dual", "org/mixed", "org/single"],
                "max_stars_repo_licenses": licences,
            }
        ),
        d / "train-00000.parquet",
    )
    pipeline = tmp_path / "code_stack.yaml"
    pipeline.write_text(
        (Path(__file__).resolve().parents[1] / "pipelines" / "code_stack.yaml")
        .read_text(encoding="utf-8")
        .replace("../data/the-stack/data/*/train-*.parquet", f"{tmp_path}/the-stack/data/*/train-*.parquet"),
        encoding="utf-8",
    )
    out = tmp_path / "out"
    run_pipeline(pipeline, RunOptions(output=str(out)))
    kept = pq.read_table(out / "documents" / "code" / "00000.parquet").to_pylist()
    assert {r["id"]: as_dict(r["extra"])["license"] for r in kept} == {
        "dual": "MIT,Apache-2.0",
        "single": "Apache-2.0",
    }
    (dropped,) = pq.read_table(out / "excluded" / "00000.parquet").to_pylist()
    assert dropped["id"] == "mixed" and dropped["reason"] == "license_not_allowed:GPL-3.0-only"
