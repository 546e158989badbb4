"""The WARC files shipped in samples/ are exactly what the project's generator writes."""

from __future__ import annotations

from pathlib import Path

from corpus_builder.samples.generate import SAMPLE_FILE_NAMES, generate_sample


def test_bundled_sample_is_reproducible(repo: Path, tmp_path: Path) -> None:
    generate_sample(tmp_path, seed=0)
    for name in SAMPLE_FILE_NAMES:
        assert (repo / "samples" / name).read_bytes() == (tmp_path / name).read_bytes(), name
