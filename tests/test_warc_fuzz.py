"""Seeded mutation fuzzer (fast subset of bench/warc_fuzz.py): damage one record of seven, lose nothing good.

Every case is a file of 7 records in one of three layouts (per-record gzip, one gzip member, plain) with one
record damaged; every good record must come out exactly once with the same record id and payload bytes,
nothing may raise, and no record may be invented. The long campaign (>= 1,000 files per layout) is
``python -m bench.warc_fuzz``.
"""

from __future__ import annotations

import pytest

from bench.warc_fuzz import GZIP_MUTATIONS, LAYOUTS, MUTATIONS, check_case, make_case, run

SEEDS = 150  # per layout: a few seconds


@pytest.mark.slow
@pytest.mark.parametrize("layout", LAYOUTS)
def test_no_good_record_is_lost_duplicated_or_changed(layout: str) -> None:
    totals = run(SEEDS, 0, (layout,))[layout]
    assert totals.good >= SEEDS * 6
    assert (totals.lost, totals.duplicated, totals.changed, totals.invented, totals.raised) == (
        0,
        0,
        0,
        0,
        0,
    ), totals.problems[:5]
    assert totals.errors > 0  # the damage was seen


@pytest.mark.slow
def test_the_subset_exercises_every_mutation() -> None:
    seen = {make_case(seed, layout).mutation for layout in LAYOUTS for seed in range(SEEDS)}
    assert seen == set(MUTATIONS) | set(GZIP_MUTATIONS)


def test_cases_are_deterministic_and_damaged() -> None:
    for layout in LAYOUTS:
        a, b = make_case(7, layout), make_case(7, layout)
        assert a.data == b.data and a.mutation == b.mutation and a.damaged == b.damaged
    # the checker is not vacuous: a file that lost a record is reported
    case = make_case(3, "plain")
    case.data = case.data[: case.data.index(case.records[5].raw[:40])]
    outcome = check_case(case)
    assert outcome.lost >= 1 or case.damaged >= 5
