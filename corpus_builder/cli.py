"""The `corpus-build` command. Each verb is a thin call into the module that does the work."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Annotated

import typer

from corpus_builder.config.loader import ConfigError, all_errors, load_config
from corpus_builder.contracts import outputs
from corpus_builder.contracts.errors import EXIT_BAD_INPUT, CorpusBuilderError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Build LLM pre-training corpora from web archives into Parquet shards with provenance.",
)


def _print_version(value: bool) -> None:
    if value:
        from corpus_builder import __version__

        typer.echo(f"corpus-build {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    """Build LLM pre-training corpora from web archives into Parquet shards with provenance."""


def _fail(message: str, code: int) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


@contextmanager
def _exit_on_error() -> Iterator[None]:
    """The one place where errors become exit codes: each error class carries its own
    (`contracts/errors.py`); a file the user named that does not exist is bad input."""
    try:
        yield
    except CorpusBuilderError as exc:
        _fail(str(exc).strip("'\""), exc.exit_code)
    except FileNotFoundError as exc:
        _fail(str(exc).strip("'\""), EXIT_BAD_INPUT)


@app.command()
def run(
    pipeline: Annotated[Path, typer.Argument(help="Pipeline YAML file.")],
    input: Annotated[
        list[str] | None,
        typer.Option(
            "--input",
            "-i",
            help="NAME=GLOB: source NAME (or NAME/LANG) reads these files/globs/URLs instead of its YAML "
            "paths; repeatable. A plain GLOB is for one-source pipelines.",
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
    from corpus_builder.run import RunOptions, run_pipeline

    with _exit_on_error():
        outcome = run_pipeline(pipeline, RunOptions(input or None, output, workers, limit, executor, address))
    manifest = outcome.manifest
    for skipped in outcome.skipped_sources:
        typer.echo(f"note: optional source {skipped} skipped: its input files are absent")
    typer.echo(
        f"done: {outcome.tasks} task(s) ({outcome.result.skipped} already complete) → {outcome.output_dir}"
    )
    typer.echo(
        _summary_line("kept", manifest["totals"], manifest["totals"]["read_errors"], outcome.output_dir)
    )
    dedup = manifest.get("phase_totals", {}).get("dedup")
    if dedup:
        typer.echo(_summary_line("after dedup", dedup, None, outcome.output_dir))
    decontaminated = manifest.get("phase_totals", {}).get("decontaminate")
    if decontaminated:
        typer.echo(_summary_line("after decontamination", decontaminated, None, outcome.output_dir))
    if outcome.not_run_reason:
        typer.echo(f"not run: {', '.join(outcome.not_run_phases)} ({outcome.not_run_reason})")


def _summary_line(label: str, totals: dict, read_errors: dict | None, output_dir: str) -> str:
    kept: dict[str, int] = {}
    for by_lang in totals["kept"].values():
        for lang, entry in by_lang.items():
            kept[lang] = kept.get(lang, 0) + entry["documents"]
    excluded = sum(
        count
        for stages in totals["excluded"].values()
        for reasons in stages.values()
        for count in reasons.values()
    )
    kept_text = ", ".join(f"{lang} {count:,}" for lang, count in sorted(kept.items())) or "none"
    line = f"{label}: {kept_text} | excluded: {excluded:,}"
    if read_errors is not None:
        errors = sum(read_errors.values())
        line += f" | unreadable records: {errors:,}" + (
            f" (see {output_dir}/{outputs.ERRORS}/)" if errors else ""
        )
    return line


@app.command()
def decontaminate(
    pipeline: Annotated[Path, typer.Argument(help="Pipeline YAML with a `decontaminate:` block.")],
    output: Annotated[str | None, typer.Option("--output", "-o", help="The finished run's output.")] = None,
    workers: Annotated[int | None, typer.Option("--workers", "-w", min=1, help="Parallel processes.")] = None,
) -> None:
    """Decontaminate a finished run's documents (deduped/, else documents/) against the pipeline's
    evaluation sets, without rebuilding it; rerunning resumes."""
    from corpus_builder.run.decontaminate import decontaminate_finished_run

    with _exit_on_error():
        outcome = decontaminate_finished_run(pipeline, output, workers)
    typer.echo(_summary_line(f"after decontamination of {outcome.input_folder}/", outcome.totals, None, ""))
    for name, counters in sorted(outcome.totals.get("sets", {}).items()):
        typer.echo(f"  {name}: " + ", ".join(f"{key} {value:,}" for key, value in sorted(counters.items())))


@app.command()
def validate(
    pipeline: Annotated[Path, typer.Argument(help="Pipeline YAML file.")],
    skip_inputs: Annotated[
        bool,
        typer.Option("--skip-inputs", help="Check the file alone, not whether its sources' files exist."),
    ] = False,
) -> None:
    """Check a pipeline file without running it; every problem is printed, one per line."""
    from corpus_builder.config.loader import load_plan
    from corpus_builder.sources.selection import describe_absent
    from corpus_builder.stages.registry import stage_problems

    problems = all_errors(pipeline)
    config = None
    if not problems:
        # all_errors found nothing, so a ConfigError here means a plan-only file: no stages or sources
        with suppress(ConfigError):
            config = load_config(pipeline)
    base_dir = str(pipeline.resolve().parent)
    if config is not None:
        problems = stage_problems(config, base_dir, str(pipeline))
        if not problems and not skip_inputs:
            absent, notes = describe_absent(config, base_dir)
            for note in notes:
                typer.echo(f"note: {pipeline}: {note}")
            problems = [f"{pipeline}: {line}" for line in absent]
    if problems:
        for line in problems:
            typer.echo(f"error: {line}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT)
    if config is None:
        mixture = load_plan(pipeline).mixture  # a valid plan-only file
        typer.echo(f"{pipeline}: ok — a mixture plan of {len(mixture.subsets)} subsets")
        return
    stages = " → ".join(s.step if s.step != "quality" else f"quality({s.preset})" for s in config.stages)
    typer.echo(f"{pipeline}: ok — {len(config.sources)} source(s); stages: {stages}")


@app.command()
def inspect(
    path: Annotated[str, typer.Argument(help="An output directory or a Parquet file.")],
    rows: Annotated[int, typer.Option("--rows", "-n", min=0, help="Sample rows to show.")] = 3,
) -> None:
    """Schema, counts per language and source, and a few sample rows of Parquet output."""
    from corpus_builder.report.inspect import describe

    with _exit_on_error():
        typer.echo(describe(path, rows))


def _pipeline_or_exit(pipeline: Path):  # noqa: ANN202 - PipelineConfig, imported lazily
    with _exit_on_error():
        return load_config(pipeline)


@app.command()
def plan(
    file: Annotated[Path, typer.Argument(help="A pipeline YAML, or a plan file holding only `mixture:`.")],
    output: Annotated[
        str | None, typer.Option("--output", "-o", help="Measure token counts in this run's output.")
    ] = None,
    estimate: Annotated[
        bool,
        typer.Option(
            "--estimate",
            help="Run a small sample and estimate CPU-hours, documents, tokens, storage and memory.",
        ),
    ] = False,
    sample: Annotated[
        int, typer.Option("--sample", min=1, help="With --estimate: records read from each sampled file.")
    ] = 200,
    files: Annotated[
        int, typer.Option("--files", min=1, help="With --estimate: how many input files to sample.")
    ] = 4,
    input: Annotated[
        list[str] | None,
        typer.Option(
            "--input", "-i", help="With --estimate: [NAME=]GLOB instead of the YAML's paths (as for run)."
        ),
    ] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", "-w", min=1, help="With --estimate: workers of the full run.")
    ] = None,
) -> None:
    """The dedup S-curve and the mixture table (unique tokens, epochs, seen tokens, share); with
    --estimate, what a full run would cost, measured on a sample."""
    from corpus_builder.config.loader import load_plan

    if estimate:
        _estimate(file, sample, files, input, workers)
        return
    from corpus_builder.dedup import s_curve_table
    from corpus_builder.mixture import plan_table

    with _exit_on_error():
        plan_of = load_plan(file)
    if plan_of.dedup is None and plan_of.mixture is None:
        _fail(f"{file}: neither `dedup:` nor `mixture:` to plan", EXIT_BAD_INPUT)
    if plan_of.dedup is not None:
        ngram, bands, rows = plan_of.dedup.minhash.resolved()
        typer.echo(f"MinHash LSH: character {ngram}-grams, {bands} bands × {rows} rows")
        typer.echo(s_curve_table({f"{bands}x{rows}": (bands, rows)}) + "\n")
    if plan_of.mixture is not None:
        from corpus_builder.mixture.plan import NoTokenCounts, epochs_table

        try:
            typer.echo(plan_table(plan_of.mixture, output or plan_of.output_dir).render())
        except NoTokenCounts as exc:
            typer.echo(f"Mixture ({exc}; run the pipeline, then plan with --output DIR for token counts):")
            typer.echo(epochs_table(plan_of.mixture))


@app.command()
def report(
    output_dir: Annotated[str, typer.Argument(help="A finished run's output directory.")],
    html: Annotated[
        Path | None, typer.Option("--html", help="Where to write the page (default: OUTPUT_DIR/report.html).")
    ] = None,
) -> None:
    """A self-contained HTML page: funnel per stage and rule, examples, histograms, mixture, timings."""
    from corpus_builder.report import build_report

    with _exit_on_error():
        target = build_report(output_dir, html)
    typer.echo(f"wrote {target}")


def _estimate(file: Path, sample: int, files: int, inputs: list[str] | None, workers: int | None) -> None:
    from corpus_builder.report.estimate import estimate

    with _exit_on_error():
        result = estimate(file, sample=sample, files=files, inputs=inputs or None, workers=workers)
    typer.echo(result.render())


@app.command("train-tokenizer")
def train_tokenizer_command(
    pipeline: Annotated[Path, typer.Argument(help="Pipeline YAML with `tokenize.train`.")],
    output: Annotated[str | None, typer.Option("--output", "-o", help="The run's output directory.")] = None,
    model: Annotated[
        str | None, typer.Option("--model", help="Where to write the model (default: OUTPUT/tokenizer/).")
    ] = None,
) -> None:
    """Train a sentencepiece model on a per-language sample of a run's kept documents (the folder the
    run itself trains on: decontaminated/, deduped/ or documents/, so both give the same model)."""
    from corpus_builder.run import tokenizer_input_folder
    from corpus_builder.tokenize import train_tokenizer

    config = _pipeline_or_exit(pipeline)
    if config.tokenize is None or config.tokenize.train is None:
        _fail(f"{pipeline}: no `tokenize.train` section", EXIT_BAD_INPUT)
    out = (output or config.output.dir).rstrip("/")
    target = model or f"{out}/{outputs.TRAINED_TOKENIZER}"
    try:
        documents = f"{out}/{tokenizer_input_folder(config)}"
        info = train_tokenizer(config.tokenize, documents, target, config.seed)
    except (ValueError, FileNotFoundError) as exc:
        _fail(str(exc), EXIT_BAD_INPUT)
    typer.echo(f"wrote {target}: {info}")


@app.command("train-classifier")
def train_classifier_command(
    positive: Annotated[
        list[str],
        typer.Option(
            "--positive",
            help="Documents to keep: a run's output folder, a folder or file of Parquet/JSONL. Repeatable.",
        ),
    ],
    negative: Annotated[list[str], typer.Option("--negative", help="Documents to score low; as --positive.")],
    model: Annotated[str, typer.Option("--model", "-o", help="Where to write the model (.npz).")],
    text_column: Annotated[str, typer.Option(help="Text column (Parquet) or key (JSONL).")] = "text",
    seed: Annotated[int, typer.Option(help="Seed of the sampling and the train/held-out split.")] = 0,
    holdout: Annotated[float, typer.Option(min=0.01, max=0.9, help="Held-out share of each class.")] = 0.2,
    kept_fraction: Annotated[
        float, typer.Option(min=0.001, max=1.0, help="Share of held-out documents kept, for precision.")
    ] = 0.3,
    max_docs: Annotated[int | None, typer.Option(min=2, help="Sample at most this many per class.")] = None,
    dimensions: Annotated[int, typer.Option(help="Hashed feature buckets, a power of two.")] = 1 << 18,
) -> None:
    """Train the `classifier` stage's model: logistic regression on hashed character n-grams. Prints
    held-out AUC, precision at the kept fraction with its score threshold, and the model's sha256."""
    from corpus_builder.classify.training import feature_spec, read_texts, train_classifier

    with _exit_on_error():
        spec = feature_spec(dimensions)
        report = train_classifier(
            read_texts(positive, text_column),
            read_texts(negative, text_column),
            model,
            seed=seed,
            holdout=holdout,
            kept_fraction=kept_fraction,
            max_docs=max_docs,
            spec=spec,
        )
    typer.echo(report.render())


# the crawl options' defaults are CrawlSettings' own, so --help cannot drift from the code
from corpus_builder.acquire.crawl_settings import CrawlSettings as _CS  # noqa: E402


@app.command()
def crawl(
    urls: Annotated[Path, typer.Argument(help="URL list: one URL per line, plain or .gz; # comments.")],
    out: Annotated[Path, typer.Option("--out", help="Output directory: WARC files and crawl.sqlite.")],
    user_agent: Annotated[str, typer.Option(help="User-Agent; its first word is the robots.txt token.")] = (
        _CS.user_agent
    ),
    concurrency: Annotated[int, typer.Option(min=1, help="Requests in flight overall.")] = (
        _CS.global_concurrency
    ),
    per_host_concurrency: Annotated[
        int, typer.Option(min=1, help="Requests in flight per scheme+host+port.")
    ] = _CS.per_host_concurrency,
    per_host_delay: Annotated[
        float, typer.Option(min=0, help="Seconds between request starts per scheme+host+port.")
    ] = _CS.per_host_delay_s,
    max_crawl_delay: Annotated[
        float,
        typer.Option(min=0, help="Cap (s) on a robots.txt Crawl-delay larger than --per-host-delay."),
    ] = _CS.max_crawl_delay_s,
    timeout: Annotated[float, typer.Option(min=0.001, help="Seconds for a whole request.")] = _CS.timeout_s,
    connect_timeout: Annotated[float, typer.Option(min=0.001, help="Seconds to connect.")] = (
        _CS.connect_timeout_s
    ),
    retries: Annotated[
        int, typer.Option(min=0, help="Retries on timeouts, connection errors, 408/425/429/5xx.")
    ] = _CS.retries,
    backoff: Annotated[float, typer.Option(min=0, help="Back-off base (s): backoff * 2**attempt.")] = (
        _CS.backoff_s
    ),
    max_retry_after: Annotated[float, typer.Option(min=0, help="Cap (s) on a Retry-After header.")] = (
        _CS.max_retry_after_s
    ),
    max_body_bytes: Annotated[
        int, typer.Option(min=1, help="Body bytes kept per response; longer ones are cut and marked.")
    ] = _CS.max_body_bytes,
    max_redirects: Annotated[int, typer.Option(min=0, help="Redirect hops followed per URL.")] = (
        _CS.max_redirects
    ),
    warc_max_bytes: Annotated[int, typer.Option(min=1, help="Start a new WARC file past this size.")] = (
        _CS.warc_max_bytes
    ),
    ignore_robots: Annotated[bool, typer.Option(help="Do not fetch or obey robots.txt.")] = False,
    allow_network: Annotated[
        list[str] | None,
        typer.Option(help="CIDR that may be contacted although not public (repeatable); default none."),
    ] = None,
    retry_failed: Annotated[
        bool, typer.Option(help="Fetch again URLs logged as error or robots_unavailable.")
    ] = False,
) -> None:
    """Crawl a URL list (WARP) into WARC files: robots.txt (RFC 9309), per-host delay, no non-public
    addresses; rerunning the same command resumes."""
    # (this function's length is its option declarations; the work is in _crawl)
    try:
        settings = _CS(
            user_agent=user_agent,
            global_concurrency=concurrency,
            per_host_concurrency=per_host_concurrency,
            per_host_delay_s=per_host_delay,
            max_crawl_delay_s=max_crawl_delay,
            timeout_s=timeout,
            connect_timeout_s=connect_timeout,
            retries=retries,
            backoff_s=backoff,
            max_retry_after_s=max_retry_after,
            max_body_bytes=max_body_bytes,
            max_redirects=max_redirects,
            warc_max_bytes=warc_max_bytes,
            respect_robots=not ignore_robots,
            allow_networks=allow_network or [],
            retry_failed=retry_failed,
        )
    except ValueError as exc:
        _fail(str(exc), EXIT_BAD_INPUT)
    _crawl(urls, out, settings)


def _crawl(urls: Path, out: Path, settings: _CS) -> None:
    import asyncio

    from corpus_builder.acquire.crawl_store import read_url_list
    from corpus_builder.acquire.crawler import crawl_async

    try:
        url_list = read_url_list(urls)
    except (ValueError, OSError) as exc:
        _fail(f"{urls}: {exc}" if isinstance(exc, OSError) else str(exc), EXIT_BAD_INPUT)
    with _exit_on_error():
        summary = asyncio.run(crawl_async(url_list, out, settings))
    outcomes = ", ".join(f"{k} {v:,}" for k, v in sorted(summary.outcomes.items())) or "nothing to do"
    typer.echo(
        f"done: {summary.urls:,} URL(s), {summary.skipped:,} already logged → {out}/crawl.sqlite"
        f" | {outcomes} | {summary.requests:,} requests, {summary.bytes:,} bytes in {summary.elapsed_s:g} s"
    )


export_app = typer.Typer(no_args_is_help=True, help="Export mixture shards for trainers.")
app.add_typer(export_app, name="export")


@export_app.command("megatron")
def export_megatron_command(
    output: Annotated[str, typer.Argument(help="A run's output directory (with mixture/manifest.json).")],
    prefix: Annotated[str, typer.Option("--prefix", help="Path prefix of the .bin/.idx files.")],
) -> None:
    """Megatron-LM indexed datasets (.bin/.idx) of the mixture shards, and the --data-path string."""
    import json

    from corpus_builder.mixture import export_megatron

    manifest_path = Path(output) / outputs.MIXTURE_MANIFEST
    if not manifest_path.is_file():
        _fail(f"{manifest_path}: no mixture manifest; run a pipeline with `mixture:` first", EXIT_BAD_INPUT)
    shards = [str(manifest_path.parent / s["path"]) for s in json.loads(manifest_path.read_text())["shards"]]
    result = export_megatron(shards, prefix)
    typer.echo(f"--data-path {result.data_path}")


@app.command()
def explain(
    pipeline: Annotated[Path, typer.Argument(help="Pipeline YAML whose quality stages to apply.")],
    document: Annotated[str, typer.Argument(help="A text file, or - for standard input.")] = "-",
) -> None:
    """Every quality rule's value, threshold and verdict for one document."""
    from corpus_builder.quality.explain import explain as explain_text
    from corpus_builder.quality.explain import format_table

    config = _pipeline_or_exit(pipeline)
    stages = [s for s in config.stages if s.step == "quality"]
    if not stages:
        _fail(f"{pipeline}: no `quality` stage to explain", EXIT_BAD_INPUT)
    try:
        text = sys.stdin.read() if document == "-" else Path(document).read_text(encoding="utf-8")
    except OSError as exc:
        _fail(f"{document}: cannot read: {exc}", EXIT_BAD_INPUT)
    typer.echo(format_table(explain_text(text, stages, base_dir=str(pipeline.resolve().parent))))


def main() -> None:  # pragma: no cover - console entry for `python -m corpus_builder`
    app(prog_name="corpus-build")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
