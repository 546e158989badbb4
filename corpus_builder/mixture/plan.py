"""The mixture plan: unique tokens × epochs = seen tokens per subset, and its table.

Counts come from the run (`tokenized/`, measured) or from `tokens:` in the YAML (given). Integer
epochs are exact (seen = epochs × unique). A fractional part is realised by sampling documents;
the plan states the wanted tokens (`round(fraction × unique)`, or `target − full copies × unique`)
and the mixture phases pick a seeded sample within one document of it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

import pyarrow.parquet as pq
from datatrove.io import get_datafolder

from corpus_builder.config.mixture import MixtureConfig, SubsetConfig
from corpus_builder.contracts import outputs


class NoTokenCounts(ValueError):
    """A listed subset has neither a measured count nor `tokens:` (a pipeline not yet run)."""


@dataclass(frozen=True)
class SubsetPlan:
    name: str  # <source>/<lang>
    unique_tokens: int
    full_copies: int  # every document this many times
    fraction_tokens: int  # plus sampled documents worth about this many tokens
    unique_documents: int | None = None
    measured: bool = False

    @property
    def source(self) -> str:
        return self.name.rsplit("/", 1)[0]

    @property
    def lang(self) -> str:
        return self.name.rsplit("/", 1)[1]

    @property
    def seen_tokens(self) -> int:
        return self.full_copies * self.unique_tokens + self.fraction_tokens

    @property
    def epochs(self) -> float:
        return self.seen_tokens / self.unique_tokens if self.unique_tokens else 0.0

    @property
    def sampled(self) -> bool:
        return self.fraction_tokens > 0


def plan_subset(name: str, subset: SubsetConfig, unique_tokens: int, **extra: object) -> SubsetPlan:
    if subset.target_tokens is not None:
        if unique_tokens == 0:
            raise ValueError(f"{name}: target_tokens set but the subset has no tokens")
        full, rest = divmod(subset.target_tokens, unique_tokens)
    else:
        epochs = Fraction(subset.epochs if subset.epochs is not None else 1.0)
        full = math.floor(epochs)
        rest = round((epochs - full) * unique_tokens)
    return SubsetPlan(name, unique_tokens, int(full), int(rest), **extra)  # type: ignore[arg-type]


def needs_sampling(subset: SubsetConfig) -> bool:
    """Whether the subset may need a fractional sample (known before counts are)."""
    return subset.target_tokens is not None or (subset.epochs is not None and subset.epochs % 1 != 0)


def measure_tokenized(output_dir: str) -> dict[str, tuple[int, int]]:
    """subset → (documents, tokens) from `<output_dir>/<folder>/<lang>/*.parquet`."""
    folder = get_datafolder(output_dir)
    counts: dict[str, list[int]] = {}
    if not folder.exists(outputs.TOKENIZED):
        return {}
    for path in sorted(folder.list_files(outputs.TOKENIZED, glob_pattern="*/*.parquet")):
        with folder.open(path, "rb") as f:
            table = pq.read_table(f, columns=["source", "lang", "token_count"])
        grouped = table.group_by(["source", "lang"]).aggregate(
            [("token_count", "sum"), ("token_count", "count")]
        )
        for row in grouped.to_pylist():
            entry = counts.setdefault(f"{row['source']}/{row['lang']}", [0, 0])
            entry[0] += row["token_count_count"]
            entry[1] += row["token_count_sum"] or 0
    return {k: (v[0], v[1]) for k, v in counts.items()}


def build_plan(
    mixture: MixtureConfig, measured: Mapping[str, tuple[int, int]] | None = None
) -> list[SubsetPlan]:
    """Plans in config order, then subsets found only in the data (sorted). Without `measured`, every
    listed subset needs `tokens:`."""
    plans = []
    names = list(mixture.subsets) + sorted(set(measured or {}) - set(mixture.subsets))
    for name in names:
        subset = mixture.subset(name)
        if measured is not None:
            if name not in measured:
                continue  # listed but absent from this run's data
            docs, tokens = measured[name]
            plans.append(plan_subset(name, subset, tokens, unique_documents=docs, measured=True))
        else:
            if subset.tokens is None:
                raise NoTokenCounts(f"subset {name}: no `tokens:` given and no tokenized output to measure")
            plans.append(plan_subset(name, subset, subset.tokens))
    return plans


def _n(x: int) -> str:
    return f"{x:,}"


def _b(x: int) -> str:
    """Token counts at a glance: billions as LLM-jp reports them (592.2B), smaller runs in M or K."""
    for scale, unit in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if x >= scale:
            return f"{x / scale:,.1f}{unit}"
    return str(x)


@dataclass(frozen=True)
class PlanTable:
    plans: list[SubsetPlan]

    @property
    def seen_tokens(self) -> int:
        return sum(p.seen_tokens for p in self.plans)

    @property
    def unique_tokens(self) -> int:
        return sum(p.unique_tokens for p in self.plans)

    def by_lang(self) -> dict[str, tuple[int, int]]:
        totals: dict[str, tuple[int, int]] = {}
        for p in self.plans:
            u, s = totals.get(p.lang, (0, 0))
            totals[p.lang] = (u + p.unique_tokens, s + p.seen_tokens)
        return totals

    def render(self) -> str:
        total = self.seen_tokens or 1
        lines = [
            "| subset | unique tokens | epochs | seen tokens | share |",
            "|---|---:|---:|---:|---:|",
        ]
        for p in self.plans:
            lines.append(
                f"| {p.name} | {_n(p.unique_tokens)} | {p.epochs:.2f} | {_n(p.seen_tokens)} | "
                f"{100 * p.seen_tokens / total:.2f}% |"
            )
        for lang, (u, s) in self.by_lang().items():
            lines.append(
                f"| **{lang}** | {_n(u)} ({_b(u)}) | {s / u if u else 0:.2f} | {_n(s)} ({_b(s)}) | "
                f"{100 * s / total:.2f}% |"
            )
        u, s = self.unique_tokens, self.seen_tokens
        lines.append(
            f"| **total** | {_n(u)} ({_b(u)}) | {s / u if u else 0:.2f} | {_n(s)} ({_b(s)}) | 100.00% |"
        )
        lines.append("")
        for lang, (lu, ls) in self.by_lang().items():
            lines.append(f"{lang}: {_b(lu)} unique → {_b(ls)} seen")
        lines.append(f"total: {_n(s)} seen tokens ({_n(u)} unique)")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.render()


def epochs_table(mixture: MixtureConfig) -> str:
    """The mixture before any token is counted (no run yet, no `tokens:`): what each subset will be
    multiplied by."""
    lines = ["| subset | epochs / target | seen tokens |", "|---|---:|---:|"]
    for name, subset in mixture.subsets.items():
        if subset.target_tokens is not None:
            lines.append(f"| {name} | target | {_n(subset.target_tokens)} |")
        else:
            epochs = subset.epochs if subset.epochs is not None else 1.0
            lines.append(f"| {name} | {epochs:g} | {epochs:g} × its unique tokens |")
    unlisted = "an error" if mixture.default_epochs is None else f"{mixture.default_epochs:g} epoch(s)"
    lines.append(f"\nsubsets found in the data but not listed: {unlisted}")
    return "\n".join(lines)


def plan_table(
    mixture: MixtureConfig,
    output_dir: str | None = None,
    counts: Mapping[str, tuple[int, int]] | None = None,
    echo: bool = False,
) -> PlanTable:
    """The mixture table. Counts: `counts` if given (subset → (documents, tokens)), else measured from
    `<output_dir>/tokenized/` when that exists, else the `tokens:` given in the config."""
    if counts is None and output_dir is not None:
        counts = measure_tokenized(output_dir) or None
    table = PlanTable(build_plan(mixture, counts))
    if echo:
        print(table.render())
    return table
