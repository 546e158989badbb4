"""The `corpus-build` command. Each verb is a thin call into the module that does the work."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from corpus_builder.config.loader import ConfigError, all_errors, load_config

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Build LLM pre-training corpora from web archives into Parquet shards with provenance.",
)

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2


def _fail(message: str, code: int) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


@app.command()
def run(
    pipeline: Annotated[Path, typer.Argument(help="Pipeline YAML file.")],
    input: Annotated[
        list[str] | None,
        typer.Option(
            "--input", "-i", help="Run on these files/globs/URLs instead of the YAML's source paths."
        ),
    ] = None,
    output: Annotated[str | None, typer.Option("--output", "-o", help="Output directory or URL.")] = None,
    workers: Annotated[int | None, typer.Option("--workers", "-w", min=1, help="Parallel processes.")] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", min=1, help="Read at most N records from each input file.")
    ] = None,
    executor: Annotated[
        str | None, typer.Option("--executor", help="local or ray (overrides the YAML's executor.kind).")
    ] = None,
    address: Annotated[
        str | None, typer.Option("--address", help="Ray cluster address; default: private local Ray.")
    ] = None,
) -> None:
    """Run a pipeline; rerunning the same command resumes, redoing only unfinished tasks."""
    from corpus_builder.executors.ray import RayResourceError
    from corpus_builder.run import RunError, RunOptions, run_pipeline
    from corpus_builder.sources.tasks import SourceError
    from corpus_builder.text.langid import LanguageModelError

    try:
        outcome = run_pipeline(pipeline, RunOptions(input or None, output, workers, limit, executor, address))
    except (ConfigError, SourceError, LanguageModelError, FileNotFoundError, RayResourceError) as exc:
        _fail(str(exc).strip("'\""), EXIT_BAD_INPUT)
    except RunError as exc:
        _fail(str(exc), EXIT_FAILED)
    totals = outcome.manifest["totals"]
    kept = {
        lang: sum(by_source[lang]["documents"] for by_source in totals["kept"].values() if lang in by_source)
        for lang in sorted({lang for by_source in totals["kept"].values() for lang in by_source})
    }
    excluded = sum(
        count
        for stages in totals["excluded"].values()
        for reasons in stages.values()
        for count in reasons.values()
    )
    errors = sum(totals["read_errors"].values())
    kept_text = ", ".join(f"{lang} {count:,}" for lang, count in kept.items()) or "none"
    typer.echo(
        f"done: {outcome.tasks} task(s) ({outcome.result.skipped} already complete) → {outcome.output_dir}\n"
        f"kept: {kept_text} | excluded: {excluded:,} | unreadable records: {errors:,}"
        + (f" (see {outcome.output_dir}/errors/)" if errors else "")
    )


@app.command()
def validate(pipeline: Annotated[Path, typer.Argument(help="Pipeline YAML file.")]) -> None:
    """Check a pipeline file without running it; every problem is printed, one per line."""
    problems = all_errors(pipeline)
    if problems:
        for line in problems:
            typer.echo(f"error: {line}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT)
    config = load_config(pipeline)
    stages = " → ".join(s.step if s.step != "quality" else f"quality({s.preset})" for s in config.stages)
    typer.echo(f"{pipeline}: ok — {len(config.sources)} source(s); stages: {stages}")


@app.command()
def inspect(
    path: Annotated[str, typer.Argument(help="An output directory or a Parquet file.")],
    rows: Annotated[int, typer.Option("--rows", "-n", min=0, help="Sample rows to show.")] = 3,
) -> None:
    """Schema, counts per language and source, and a few sample rows of Parquet output."""
    from corpus_builder.inspect_output import InspectError, describe

    try:
        typer.echo(describe(path, rows))
    except InspectError as exc:
        _fail(str(exc), EXIT_BAD_INPUT)


def main() -> None:  # pragma: no cover - console entry for `python -m corpus_builder`
    app(prog_name="corpus-build")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
