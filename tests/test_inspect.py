"""`corpus-build inspect`: sample rows stay readable when cells hold token ids or MinHash values."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from corpus_builder.cli import app
from corpus_builder.report.inspect import describe


def test_sample_rows_cut_long_lists_and_integers(sample_run: Path) -> None:
    text = describe(str(sample_run))
    rows = [line for line in text.splitlines() if line.startswith("  {")]
    assert any("'input_ids': [" in row for row in rows)
    assert any("'bands': [" in row for row in rows)  # dedup/index: MinHash band hashes (uint64)
    for row in rows:
        # no list shown beyond its first 8 items, no integer beyond 12 digits
        for listed in re.findall(r"\[([^\[\]]*)\]", row):
            assert len(re.sub(r"'… [\d,]+ items'", "", listed).split(",")) <= 9, row
        assert not re.search(r"(?<![\d.])\d{13}", row), row  # floats aside
    assert any(re.search(r"'… [\d,]+ items'", row) for row in rows)
    assert any("digits)" in row for row in rows)


def test_extra_is_shown_as_a_mapping(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from corpus_builder.writers.schema import DOCUMENT_SCHEMA

    row = {f.name: None for f in DOCUMENT_SCHEMA}
    row |= {"id": "a", "text": "本文", "source": "kaken", "warc_path": "k.xml", "lang": "ja"}
    row["lang_score"] = 1.0
    row["extra"] = [{"key": "award", "value": "23K00001"}]
    (tmp_path / "documents" / "ja").mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist([row], schema=DOCUMENT_SCHEMA), tmp_path / "documents/ja/x.parquet")
    result = CliRunner().invoke(app, ["inspect", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "'extra': {'award': '23K00001'}" in result.output
