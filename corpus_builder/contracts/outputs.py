"""Every folder and file name of a run's output directory, in one place.

Writers, readers of a finished run (`inspect`, `report`, `export megatron`, `plan`) and the phases
that consume an earlier phase's output all take the names from here, so a name cannot disagree
between the code that writes a folder and the code that reads it. The README's "What a run
produces" section describes each entry.
"""

from __future__ import annotations

#: Documents kept by the per-document stages: `documents/<lang>/<task>.parquet`.
DOCUMENTS = "documents"
#: Dropped documents with stage and reason: `excluded/<task>.parquet`, `excluded/dedup-<lang>-<task>.parquet`.
EXCLUDED = "excluded"
#: Records that could not be read: `errors/<task>.parquet`.
ERRORS = "errors"
#: Documents kept by dedup: `deduped/<lang>/<task>.parquet`.
DEDUPED = "deduped"
#: Dedup's own state: the cluster table, the index a later snapshot dedups against, its scratch folder.
DEDUP_CLUSTERS = "dedup/clusters"
DEDUP_INDEX = "dedup/index"
DEDUP_WORK = "dedup/work"
DEDUP_DONE = "dedup/done.json"
#: Documents kept by decontamination (the input's exact schema): `decontaminated/<lang>/<task>.parquet`;
#: its dropped documents are `excluded/decontaminate-<lang>-<task>.parquet`.
DECONTAMINATED = "decontaminated"
#: Decontamination's own state: the n-gram index of the evaluation sets, their per-set statistics, and
#: the paragraphs the `cut` action removed (`decontaminate/cuts/<lang>-<task>.parquet`).
DECONTAMINATE_INDEX = "decontaminate/index.npz"
DECONTAMINATE_SETS = "decontaminate/sets.json"
DECONTAMINATE_CUTS = "decontaminate/cuts"
#: The sentencepiece model trained by the run (when the pipeline names none).
TRAINED_TOKENIZER = "tokenizer/tokenizer.model"
#: Tokenized documents: `tokenized/<lang>/<task>.parquet`, plus `tokenized/tokenizer.json`.
TOKENIZED = "tokenized"
TOKENIZER_INFO = "tokenized/tokenizer.json"
#: Trainer-ready shards and their manifest.
MIXTURE = "mixture"
MIXTURE_SHARDS = "mixture/shards"
MIXTURE_MANIFEST = "mixture/manifest.json"
#: The run's manifest and the per-task counts it is built from.
MANIFEST = "manifest.json"
COUNTS = "counts"
#: The page `corpus-build report` writes into the output directory (unless told another path).
REPORT_HTML = "report.html"
#: Per-phase logs, stats and completion markers; the run's identity and lock.
LOGS = "_logs"
RUN_IDENTITY = "_logs/run_identity.json"
RUN_LOCK = "_logs/run.lock"

#: The phase that runs the per-document stages; its logs are `_logs/documents/`.
DOCUMENTS_PHASE = "documents"


def by_language(folder: str, lang: str, task: str) -> str:
    """`<folder>/<lang>/<task>.parquet`, the layout of documents/, deduped/ and tokenized/."""
    return f"{folder}/{lang}/{task}.parquet"


def phase_logs(phase: str) -> str:
    return f"{LOGS}/{phase}"


#: A phase's datatrove stats summed over its tasks (with timings), in its `phase_logs` folder.
PHASE_STATS = "stats.json"


def phase_stats(phase: str) -> str:
    return f"{phase_logs(phase)}/{PHASE_STATS}"
