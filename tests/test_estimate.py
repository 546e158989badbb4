"""`corpus-build plan --estimate`: the estimator's arithmetic, and its numbers on the bundled sample."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from corpus_builder.cli import app
from corpus_builder.report.estimate import Estimate, FileSample, StageCost, estimate, wilson
from tests.pipeline_helpers import write_pipeline

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "samples"
SAMPLE_RECORDS = 75 + 1  # 25 responses in each of the three files, and one corrupt record


def test_wilson_interval() -> None:
    lo, hi = wilson(5, 10)
    assert lo == pytest.approx(0.2366, abs=1e-4) and hi == pytest.approx(0.7634, abs=1e-4)
    lo, hi = wilson(0, 10)
    assert lo == 0.0 and hi == pytest.approx(0.2775, abs=1e-4)
    assert wilson(0, 0) == (0.0, 1.0)
    # more data, narrower interval around the same rate
    assert wilson(500, 1000)[1] - wilson(500, 1000)[0] < wilson(5, 10)[1] - wilson(5, 10)[0]


def test_bytes_per_record_of_a_sampled_file() -> None:
    # stopped at the limit: the last record starts at byte 9,000, so 9 records took 9,000 bytes
    assert FileSample("a", 100_000, 10, 9_000, exhausted=False).bytes_and_records() == (9_000, 9)
    # the whole file was read: its size and record count are exact
    assert FileSample("b", 5_000, 4, 4_000, exhausted=True).bytes_and_records() == (5_000, 4)
    assert FileSample("c", None, 1, None, exhausted=False).bytes_and_records() is None


def _estimate(**overrides: object) -> Estimate:
    fields: dict[str, object] = dict(
        pipeline="p.yaml",
        input_files=4,
        input_bytes=4_000,
        sizes_known=4,
        sample_limit=10,
        sample_files=[],
        sample_records=10,
        sample_wall_s=2.0,
        sample_cpu_s=2.0,
        fixed_s=1.0,
        peak_rss_bytes=100_000_000,
        workers=2,
        bytes_per_record=100.0,
        total_records=40.0,
        stages=[
            StageCost("documents", "extract", 1.0, 10, 4.0),
            StageCost("tokenize", "tokenize", 0.5, 5, 2.0),
        ],
        keep=[("langid", 10, 5)],
        final_docs=5,
        final_by_lang={"ja": 5},
        tokens_per_doc={"ja": 100.0},
        tokens_measured=True,
        minhash_bands=20,
        output_bytes={"documents": 1_000},
        keep_before_dedup=0.5,
    )
    fields.update(overrides)
    return Estimate(**fields)  # type: ignore[arg-type]


def test_scaling_arithmetic() -> None:
    est = _estimate()
    assert est.scale == 4.0
    assert est.documents_out[0] == pytest.approx(20.0)
    lo, hi = wilson(5, 10)
    assert est.documents_out[1:] == pytest.approx((40 * lo, 40 * hi))
    assert est.tokens_out == pytest.approx(5 * 4 * 100)
    assert est.cpu_hours == pytest.approx(6.0 / 3600)
    # document phase: 4 s over min(2 workers, 4 files); later phases over 2 workers; plus start-up
    assert est.wall_seconds() == pytest.approx(1.0 + 4.0 / 2 + 2.0 / 2)
    # one big file cannot be split across workers
    assert _estimate(input_files=1).wall_seconds() == pytest.approx(1.0 + 4.0 + 1.0)
    text = est.render()
    assert "dedup signatures: 20 bands × 8 B × 20 docs = 3.2 KB" in text
    assert "documents out: ≈ 20" in text


@pytest.mark.slow
def test_estimate_on_the_bundled_sample(tmp_path: Path) -> None:
    """First 10 records of two of the three sample files, against the known full input."""
    pipeline = write_pipeline(tmp_path / "p.yaml", SAMPLES, tmp_path / "unused", workers=2)
    est = estimate(pipeline, sample=10, files=2)
    assert est.sample_records == 20
    assert len(est.sample_files) == 2 and not any(f.exhausted for f in est.sample_files)
    # all three files are ~70 KB: bytes per record from the offsets must land near the real count
    assert est.total_records == pytest.approx(SAMPLE_RECORDS, rel=0.25)
    phases = {s.phase for s in est.stages}
    assert {"documents", "dedup.signatures", "tokenize", "mixture.shuffle"} <= phases
    assert {s.stage for s in est.stages if s.phase == "documents"} >= {
        "extract",
        "langid",
        "read/write/other",
    }
    assert est.cpu_hours > 0 and est.peak_rss_bytes > 10_000_000
    assert est.minhash_bands == 20 and est.tokens_measured
    p, lo, hi = est.keep_rate
    assert 0 < lo <= p <= hi < 1
    text = est.render()
    for needle in (
        "full CPU-h",
        "documents out",
        "tokens out",
        "dedup signatures",
        "peak memory",
        "uncertainty",
    ):
        assert needle in text


@pytest.mark.slow
def test_estimate_reading_whole_files_counts_exactly(tmp_path: Path) -> None:
    """When the sample reaches the end of every file, record counts and keep rates are exact."""
    pipeline = write_pipeline(tmp_path / "p.yaml", SAMPLES, tmp_path / "unused", documents_only=True)
    result = CliRunner().invoke(
        app, ["plan", str(pipeline), "--estimate", "--sample", "1000", "--files", "3"]
    )
    assert result.exit_code == 0, result.output
    assert f"records in the full input: ≈ {SAMPLE_RECORDS}" in result.output
    assert "3 sampled file(s) ended before 1,000 records" in result.output
