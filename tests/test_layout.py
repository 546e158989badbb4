"""The layout holds: every room on a floor, nothing imports upward, no import cycles, one registry
per extension point that covers every model."""

from __future__ import annotations

from tests.import_graph import ALLOWED_UPWARD, build_graph, floor_of, module_cycles, room_cycles, upward_edges


def test_every_room_is_on_a_floor() -> None:
    graph = build_graph()
    assert graph.rooms - set(floor_of()) == set(), (
        "place new top-level modules in tests/import_graph.py FLOORS"
    )


def test_no_import_runs_up_a_floor_without_a_stated_reason() -> None:
    graph = build_graph()
    unexplained = {
        edge: sorted(graph.edges[edge]) for edge in upward_edges(graph) if edge not in ALLOWED_UPWARD
    }
    assert unexplained == {}
    assert len(ALLOWED_UPWARD) <= 2


def test_no_import_cycles() -> None:
    graph = build_graph()
    assert room_cycles(graph) == []
    assert module_cycles(graph) == []


def test_graph_sees_imports_inside_functions() -> None:
    # the CLI imports its verbs lazily; the graph must still see cli → run
    assert ("cli", "run") in build_graph().edges


def test_every_stage_model_has_a_step_and_every_source_model_a_reader() -> None:
    from corpus_builder.config.sources import SOURCE_MODELS
    from corpus_builder.config.stages import STAGES_IN_ORDER
    from corpus_builder.sources.kinds import READERS
    from corpus_builder.stages.registry import STEPS

    assert set(STEPS) == set(STAGES_IN_ORDER)
    assert set(READERS) == set(SOURCE_MODELS)
    ranks = [model.rank for model in STAGES_IN_ORDER]
    assert ranks == sorted(ranks), "STAGES_IN_ORDER is the run order"
