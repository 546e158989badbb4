"""``explain``: every rule of every configured preset applied to one text, as table rows.

``explain(text, presets)`` takes preset names/paths, loaded :class:`RuleSet` objects, or pipeline
stage configs (any object with ``preset``, ``thresholds`` and optional ``options`` attributes,
e.g. ``QualityStage``), and returns one :class:`ExplainRow` per rule:
``(preset, rule, signal, value, op, threshold, verdict)``; verdict is ``"pass"``, ``"REJECT"``
(the first failing rule of the preset: the drop reason) or ``"fail"`` (fails too, but an earlier
rule already decided).  Each preset sees the text after its own ``modifiers`` (none for ``llm-jp``,
whose rules all read the raw text; its ``modifiers_after_rules`` only rewrite a kept document), and
presets are independent of each other (a drop by one does not hide the others).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

from corpus_builder.quality.presets import load_preset, resolve_option_paths, resolve_preset
from corpus_builder.quality.rules import RuleSet


class ExplainRow(NamedTuple):
    preset: str
    rule: str
    signal: str
    value: float
    op: str
    threshold: float
    verdict: str

    @property
    def row(self) -> tuple[str, float, str, float, str]:
        """The short form ``(rule, value, op, threshold, verdict)``."""
        return (self.rule, self.value, self.op, self.threshold, self.verdict)


def _as_ruleset(item: Any, base_dir: str | None = None) -> RuleSet:
    if isinstance(item, RuleSet):
        return item
    if isinstance(item, str):
        return load_preset(item)
    preset = getattr(item, "preset", None)
    if preset is None:
        raise TypeError(
            f"cannot explain {item!r}: give a preset name/path, a RuleSet or a quality stage config"
        )

    ruleset = load_preset(resolve_preset(preset, base_dir)).with_thresholds(
        getattr(item, "thresholds", {}) or {}
    )
    options = getattr(item, "options", None)
    if not options:
        return ruleset
    # as the quality step: a relative word-list path is relative to the pipeline file
    return ruleset.with_options({k: resolve_option_paths(v, base_dir) for k, v in options.items()})


def explain(text: str, presets: Iterable[Any] | Any, base_dir: str | None = None) -> list[ExplainRow]:
    if isinstance(presets, str | RuleSet) or hasattr(presets, "preset"):
        presets = [presets]
    rows: list[ExplainRow] = []
    for item in presets:
        ruleset = _as_ruleset(item, base_dir)
        modified, _ = ruleset.apply_modifiers(text)
        signals = ruleset.compute_signals(modified)
        decided = False
        for rule in ruleset.rules:
            value = float(signals[rule.signal])
            if rule.rejects(value):
                verdict = "fail" if decided else "REJECT"
                decided = True
            else:
                verdict = "pass"
            rows.append(
                ExplainRow(
                    ruleset.name, rule.name, rule.signal, value, rule.reject_if, rule.threshold, verdict
                )
            )
    return rows


def format_table(rows: list[ExplainRow]) -> str:
    """A markdown table of the rows (what ``corpus-build explain`` prints)."""
    lines = ["| preset | rule | value | reject if | threshold | verdict |", "|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r.preset} | {r.rule} | {r.value:.6g} | {r.op} | {r.threshold:g} | {r.verdict} |")
    return "\n".join(lines)
