"""See the corpus: an HTML report of a run's output, `inspect` of any output folder or file, and cost
estimates from a sample run."""

from corpus_builder.report.data import ReportError, RunData, load_run
from corpus_builder.report.html import build_report, render

__all__ = ["ReportError", "RunData", "build_report", "load_run", "render"]
