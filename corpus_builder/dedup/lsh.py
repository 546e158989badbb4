"""The LSH S-curve: probability that a pair with Jaccard J shares at least one of b bands of r rows.

    p(J) = 1 - (1 - J^r)^b          (Leskovec, Rajaraman, Ullman, Mining of Massive Datasets, §3.4)

The threshold where the curve is steepest is about (1/b)^(1/r).
"""

from __future__ import annotations

from corpus_builder.config.dedup import PRESETS


def candidate_probability(jaccard: float, bands: int, rows: int) -> float:
    return 1.0 - (1.0 - jaccard**rows) ** bands


def threshold(bands: int, rows: int) -> float:
    return (1.0 / bands) ** (1.0 / rows)


def s_curve_table(
    settings: dict[str, tuple[int, int]] | None = None, points: list[float] | None = None
) -> str:
    """Markdown table of p(J) for each (name → (bands, rows)), J = 0.5, 0.55, …, 1.0 by default."""
    if settings is None:
        settings = {name: (b, r) for name, (_, b, r) in PRESETS.items()}
    points = points or [round(0.5 + 0.05 * i, 2) for i in range(11)]
    head = (
        "| J | "
        + " | ".join(f"{name} ({b}x{r}, t~{threshold(b, r):.2f})" for name, (b, r) in settings.items())
        + " |"
    )
    sep = "|---|" + "---|" * len(settings)
    lines = [head, sep]
    for j in points:
        cells = " | ".join(f"{candidate_probability(j, b, r):.4f}" for b, r in settings.values())
        lines.append(f"| {j:.2f} | {cells} |")
    return "\n".join(lines)


def print_plan(settings: dict[str, tuple[int, int]] | None = None) -> None:
    print(s_curve_table(settings))
