"""`corpus-build decontaminate`: the decontaminate phases on a finished run's documents.

A corpus built before an evaluation set existed (or before the team chose its sets) can be checked
without rebuilding it: the phases of a pipeline's `decontaminate:` block run over the output's
`deduped/` (or `documents/` when the run did not dedup) and write what a run with the block writes
(`decontaminated/`, `excluded/decontaminate-*`, `decontaminate/`, `counts/decontaminate-*`). The
run's own files, its manifest and its identity are left as they are: the output still belongs to
the configuration that made it. Rerunning the same command resumes from the completion markers.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from datatrove.io import get_datafolder

from corpus_builder.contracts import outputs
from corpus_builder.contracts.errors import BadInputError
from corpus_builder.decontaminate.phase import build_decontaminate_phases
from corpus_builder.decontaminate.sets import prepare_sets
from corpus_builder.phases.base import PhaseStep, RunContext
from corpus_builder.run.manifest import summarise_counts
from corpus_builder.run.output_claim import output_lock
from corpus_builder.run.pipeline import RunError, RunOptions, check_phase, load_run_config, make_executor


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
    output_dir = config.output.dir if "://" in config.output.dir else os.path.abspath(config.output.dir)
    folder = get_datafolder(output_dir)
    input_folder = next((f for f in (outputs.DEDUPED, outputs.DOCUMENTS) if folder.isdir(f)), None)
    if input_folder is None:
        raise NothingToDecontaminate(
            f"{output_dir}: neither {outputs.DEDUPED}/ nor {outputs.DOCUMENTS}/; run the pipeline first"
        )
    ctx = RunContext(output_dir=output_dir, seed=config.seed)
    phases = build_decontaminate_phases(config.decontaminate, ctx, sets, input_folder)
    logs = f"{output_dir.rstrip('/')}/{outputs.LOGS}"
    try:
        with output_lock(output_dir):
            while phases:
                phase = phases.pop(0)
                if phase.skip_reason():
                    break
                result = make_executor(
                    config.executor,
                    [PhaseStep(phase)],
                    phase.num_tasks(),
                    f"{logs}/{phase.name}",
                    label=phase.name,
                ).run()
                check_phase(result, phase.name, output_dir, str)
                phases[0:0] = phase.finish()
    except OSError as exc:
        raise RunError(f"cannot write to output directory {output_dir}: {exc}") from None
    summaries = []
    for path in sorted(folder.list_files(outputs.COUNTS)):
        if path.rsplit("/", 1)[-1].startswith("decontaminate-"):
            with folder.open(path, "rb") as f:
                summaries.append(orjson.loads(f.read()))
    return DecontaminateOutcome(output_dir, input_folder, summarise_counts(summaries))
