"""`corpus-build decontaminate`: the decontaminate phases on a finished run's documents.

A corpus built before an evaluation set existed (or before the team chose its sets) can be checked
without rebuilding it: the phases of a pipeline's `decontaminate:` block run over the output's
`deduped/` (or `documents/` when the run did not dedup) and write what a run with the block writes
(`decontaminated/`, `excluded/decontaminate-*`, `decontaminate/`, `counts/decontaminate-*`). The
run's own files, its manifest and its identity are left as they are: the output still belongs to
the configuration that made it. Rerunning the same command resumes from the completion markers.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from datatrove.io import get_datafolder

from corpus_builder.contracts import outputs
from corpus_builder.contracts.errors import BadInputError
from corpus_builder.decontaminate.phase import STAGE, build_decontaminate_phases
from corpus_builder.decontaminate.sets import prepare_sets
from corpus_builder.phases.base import RunContext
from corpus_builder.run.manifest import counts_by_phase, summarise_counts
from corpus_builder.run.output_claim import output_lock
from corpus_builder.run.pipeline import RunError, RunOptions, absolute_output_dir, load_run_config, run_phases


class NothingToDecontaminate(BadInputError):
    """The pipeline has no `decontaminate:` block, or the output holds no documents to scan."""


@dataclass(frozen=True)
class DecontaminateOutcome:
    output_dir: str
    input_folder: str
    totals: dict[str, Any]  # summed counts/decontaminate-*.json, as a run's manifest phase_totals


def decontaminate_finished_run(
    config_path: str | Path, output: str | None = None, workers: int | None = None
) -> DecontaminateOutcome:
    config, base_dir = load_run_config(config_path, RunOptions(output=output, workers=workers))
    if config.decontaminate is None:
        raise NothingToDecontaminate(f"{config_path}: no `decontaminate:` block")
    sets = prepare_sets(config.decontaminate, base_dir)  # a bad evaluation file fails here
    output_dir = absolute_output_dir(config)
    folder = get_datafolder(output_dir)
    input_folder = next((f for f in (outputs.DEDUPED, outputs.DOCUMENTS) if folder.isdir(f)), None)
    if input_folder is None:
        raise NothingToDecontaminate(
            f"{output_dir}: neither {outputs.DEDUPED}/ nor {outputs.DOCUMENTS}/; run the pipeline first"
        )
    ctx = RunContext(output_dir=output_dir, seed=config.seed)
    phases = build_decontaminate_phases(config.decontaminate, ctx, sets, input_folder)
    try:
        with output_lock(output_dir):
            run_phases(config.executor, phases, output_dir)
    except OSError as exc:
        raise RunError(f"cannot write to output directory {output_dir}: {exc}") from None
    summaries = counts_by_phase(folder).get(STAGE, [])  # counts/decontaminate-*.json
    return DecontaminateOutcome(output_dir, input_folder, summarise_counts(summaries))
