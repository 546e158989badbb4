"""The WARC files and evaluation sets shipped in samples/ are exactly what the project's generator writes."""

from __future__ import annotations

from pathlib import Path

from corpus_builder.samples.eval_plant import EVAL_DIR, EVAL_FILES
from corpus_builder.samples.generate import SAMPLE_FILE_NAMES, generate_sample


def test_bundled_sample_is_reproducible(repo: Path, tmp_path: Path) -> None:
    generate_sample(tmp_path, seed=0)
    eval_files = [f"{EVAL_DIR}/{name}" for name in EVAL_FILES.values()]
    for name in [*SAMPLE_FILE_NAMES, *eval_files]:
        assert (repo / "samples" / name).read_bytes() == (tmp_path / name).read_bytes(), name
    assert sorted(p.name for p in (repo / "samples" / EVAL_DIR).iterdir()) == sorted(EVAL_FILES.values())
