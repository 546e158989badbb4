"""The decontaminate phases in a run: config, set preparation, the scan's tables, determinism, the sample."""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pydantic import ValidationError

from corpus_builder.config.decontaminate import DecontaminateConfig
from corpus_builder.contracts import outputs
from corpus_builder.contracts.errors import EXIT_BAD_INPUT, BadInputError
from corpus_builder.decontaminate import IndexBuilder, Matcher, NgramSettings
from corpus_builder.decontaminate.phase import build_decontaminate_phases
from corpus_builder.decontaminate.scan_tables import CUTS_SCHEMA, scan_documents
from corpus_builder.decontaminate.sets import EvalSetError, ngram_settings, prepare_sets
from corpus_builder.phases.base import RunContext
from corpus_builder.phases.inline import run_phases
from corpus_builder.samples.generate import planted_pages
from corpus_builder.writers.schema import DOCUMENT_SCHEMA, EXCLUDED_SCHEMA, as_dict

REPO = Path(__file__).resolve().parents[1]

JA_QUESTION = (
    "市立図書館で本を借りるとき、窓口で必ず見せるように求められるものとして最も適切なものはどれですか。"
)
EN_PASSAGE = (
    "Every autumn the village of Hollowmere holds a lantern walk along the old canal towpath. Children "
    "spend the summer folding paper lanterns in the community hall, and each lantern carries a single wish."
)
FILLER_JA = "今日は朝から雨が降っていたので、近所の喫茶店で本を読んで過ごしました。"
FILLER_EN = "The weather was mild this week, so we spent most evenings walking by the river."


def _write_sets(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    records = [{"id": "q1", "question": JA_QUESTION, "choices": ["利用者カード", "雨傘"]}]
    (folder / "ja.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8"
    )
    (folder / "en.jsonl").write_text(json.dumps({"id": "p1", "passage": EN_PASSAGE}) + "\n", encoding="utf-8")


def _config(**extra: object) -> DecontaminateConfig:
    return DecontaminateConfig.model_validate(
        {
            "sets": [
                {
                    "name": "ja",
                    "paths": ["eval/ja.jsonl"],
                    "fields": ["question", "choices"],
                    "id_field": "id",
                },
                {
                    "name": "en",
                    "paths": ["eval/en.jsonl"],
                    "fields": ["passage"],
                    "id_field": "id",
                    "action": "cut",
                },
            ],
            **extra,
        }
    )


def _documents(texts: list[tuple[str, str]]) -> pa.Table:
    rows = [
        {
            "id": f"doc-{i}",
            "text": text,
            "source": "web",
            "url": f"https://example.test/{i}",
            "snapshot": None,
            "warc_path": "in.warc.gz",
            "record_id": None,
            "offset": i,
            "date": None,
            "lang": lang,
            "lang_score": 0.9,
            "charset": "utf-8",
            "charset_method": "declared",
            "extractor": "trafilatura",
            "quality_signals": [{"key": "swallow.hiragana_fraction", "value": 0.4}],
            "extra": [],
        }
        for i, (lang, text) in enumerate(texts)
    ]
    return pa.Table.from_pylist(rows, schema=DOCUMENT_SCHEMA)


CASES = [
    ("ja", f"{FILLER_JA}\n{JA_QUESTION}\n利用者カード、雨傘"),  # drop
    ("en", f"{FILLER_EN}\n{EN_PASSAGE.upper()}\n{FILLER_EN} Again."),  # cut, the rest stays
    ("en", EN_PASSAGE),  # cut leaves nothing: dropped
    ("ja", FILLER_JA),  # untouched
]


# ------------------------------------------------------------------------------------------ config


def test_config_defaults_are_the_librarys() -> None:
    config = _config()
    library = NgramSettings()
    assert ngram_settings(config) == library
    assert {f.name for f in fields(NgramSettings)} <= set(DecontaminateConfig.model_fields)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"unknown": 1}, "Extra inputs"),
        ({"sets": [{"name": "a", "paths": ["x.jsonl"]}]}, "give `fields`"),
        ({"sets": [{"name": "a", "paths": ["x.jsonl"], "fields": ["q"]}] * 2}, "unique"),
        ({"sets": [{"name": "a", "paths": [], "fields": ["q"]}]}, "at least 1"),
        ({"min_share": 0}, "greater than 0"),
    ],
)
def test_config_refuses(change: dict, message: str) -> None:
    data = {"sets": [{"name": "a", "paths": ["x.jsonl"], "fields": ["q"]}]} | change
    with pytest.raises(ValidationError, match=message):
        DecontaminateConfig.model_validate(data)


# ------------------------------------------------------------------------------------------ sets


def test_bad_eval_file_is_bad_input_naming_file_and_line(tmp_path: Path) -> None:
    _write_sets(tmp_path / "eval")
    with (tmp_path / "eval" / "ja.jsonl").open("a", encoding="utf-8") as handle:
        handle.write("{not json\n")
    with pytest.raises(EvalSetError, match=r"set 'ja'.*ja\.jsonl: line 2: not JSON") as caught:
        prepare_sets(_config(), tmp_path)
    assert isinstance(caught.value, BadInputError) and caught.value.exit_code == EXIT_BAD_INPUT


def test_missing_file_and_unknown_catalogue_entry(tmp_path: Path) -> None:
    with pytest.raises(EvalSetError, match="no such file"):
        prepare_sets(_config(), tmp_path)
    config = DecontaminateConfig.model_validate(
        {"sets": [{"name": "x", "paths": ["a.jsonl"], "catalogue": "nope"}]}
    )
    with pytest.raises(EvalSetError, match="no catalogue entry 'nope'"):
        prepare_sets(config, tmp_path)


def test_catalogue_entry_gives_fields_and_units(tmp_path: Path) -> None:
    record = {
        "q_id": 7,
        "question": JA_QUESTION,
        **{f"choice{i}": f"選択肢{i}" for i in range(5)},
        "label": 1,
    }
    (tmp_path / "valid.jsonl").write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    config = DecontaminateConfig.model_validate(
        {"sets": [{"name": "jcqa", "paths": ["valid.jsonl"], "catalogue": "jcommonsenseqa"}]}
    )
    (resolved,) = prepare_sets(config, tmp_path)
    assert resolved.units == "chars"
    (item,) = list(resolved.items())
    assert item.item_id == "7" and item.text.startswith(JA_QUESTION) and "選択肢4" in item.text


def test_several_files_of_one_set_get_distinct_ids(tmp_path: Path) -> None:
    for name in ("a.txt", "b.txt"):
        (tmp_path / name).write_text(f"{JA_QUESTION}\n", encoding="utf-8")
    config = DecontaminateConfig.model_validate(
        {"sets": [{"name": "t", "paths": ["a.txt", "b.txt"], "format": "text"}]}
    )
    (resolved,) = prepare_sets(config, tmp_path)
    assert [item.item_id for item in resolved.items()] == ["a.txt:0", "b.txt:0"]


# ------------------------------------------------------------------------------------------ scan


def _matcher(tmp_path: Path) -> Matcher:
    _write_sets(tmp_path / "eval")
    builder = IndexBuilder()
    for eval_set in prepare_sets(_config(), tmp_path):
        builder.add_set(eval_set.name, eval_set.items(), eval_set.units, eval_set.min_share)
    return Matcher(builder.build())


def test_scan_drops_cuts_and_keeps(tmp_path: Path) -> None:
    docs = _documents(CASES)
    result = scan_documents(docs, _matcher(tmp_path), {"ja": "drop", "en": "cut"}, "decontaminate", 2000)
    assert result.kept.schema == docs.schema  # the input's exact schema, metadata too
    assert result.kept.column("id").to_pylist() == ["doc-1", "doc-3"]
    assert result.kept.column("text").to_pylist() == [f"{FILLER_EN}\n{FILLER_EN} Again.", FILLER_JA]
    assert result.excluded.schema == EXCLUDED_SCHEMA
    rows = result.excluded.to_pylist()
    assert [(r["id"], r["stage"], r["reason"]) for r in rows] == [
        ("doc-0", "decontaminate", "eval_overlap"),
        ("doc-2", "decontaminate", "eval_cut_empty"),
    ]
    extra, signals = as_dict(rows[0]["extra"]), as_dict(rows[0]["quality_signals"])
    assert (extra["eval_set"], extra["eval_item_id"], signals["eval_share"]) == ("ja", "q1", 1.0)
    assert signals["swallow.hiragana_fraction"] == 0.4  # the document's own signals are kept
    assert json.loads(extra["eval_matches"]) == [{"set": "ja", "item": "q1", "share": 1.0}]
    assert result.cuts.schema == CUTS_SCHEMA
    (cut,) = result.cuts.to_pylist()
    assert (cut["id"], cut["eval_set"], cut["eval_item_id"], cut["text"]) == (
        "doc-1",
        "en",
        "p1",
        EN_PASSAGE.upper(),
    )
    assert result.counts == {"kept|web|en": 1, "kept|web|ja": 1, "excluded|web|decontaminate|eval_overlap": 1,
                             "excluded|web|decontaminate|eval_cut_empty": 1}  # fmt: skip
    assert result.sets["en"] == {
        "documents_matched": 2, "documents_dropped": 1, "documents_cut": 1, "matches": 2,
        "paragraphs_cut": 2, "chars_cut": 2 * len(EN_PASSAGE),
    }  # fmt: skip
    assert result.sets["ja"]["documents_dropped"] == 1


def test_a_drop_set_wins_over_a_cut_set(tmp_path: Path) -> None:
    docs = _documents([("en", f"{JA_QUESTION}\n{EN_PASSAGE}\n{FILLER_EN}")])
    result = scan_documents(docs, _matcher(tmp_path), {"ja": "drop", "en": "cut"}, "decontaminate", 2000)
    assert result.kept.num_rows == 0 and result.cuts.num_rows == 0
    (row,) = result.excluded.to_pylist()
    assert {m["set"] for m in json.loads(as_dict(row["extra"])["eval_matches"])} == {"ja"}


# ------------------------------------------------------------------------------------------ phases


def _run_phases(tmp_path: Path, name: str) -> Path:
    """Both phases over documents/ of a fresh output directory; returns the output directory."""
    _write_sets(tmp_path / "eval")
    out = tmp_path / name
    docs = _documents(CASES)
    for lang, task in (("ja", "00000"), ("en", "00001")):
        path = out / outputs.by_language(outputs.DOCUMENTS, lang, task)
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(docs.filter(pa.compute.equal(docs.column("lang"), lang)), path)
    config = _config()
    ctx = RunContext(output_dir=str(out), seed=0)
    run_phases(build_decontaminate_phases(config, ctx, prepare_sets(config, tmp_path), outputs.DOCUMENTS))
    return out


def _files(out: Path) -> dict[str, bytes]:
    skip = outputs.DOCUMENTS + "/"
    return {
        p.relative_to(out).as_posix(): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.is_file() and not p.relative_to(out).as_posix().startswith(skip)
    }


def test_phases_write_every_output_and_rerun_to_the_same_bytes(tmp_path: Path) -> None:
    first = _files(_run_phases(tmp_path, "a"))
    assert set(first) == {
        outputs.DECONTAMINATE_INDEX,
        outputs.DECONTAMINATE_SETS,
        "decontaminated/ja/00000.parquet",
        "decontaminated/en/00001.parquet",
        "excluded/decontaminate-ja-00000.parquet",
        "excluded/decontaminate-en-00001.parquet",
        f"{outputs.DECONTAMINATE_CUTS}/en-00001.parquet",
        "counts/decontaminate-ja-00000.json",
        "counts/decontaminate-en-00001.json",
    }
    assert _files(_run_phases(tmp_path, "b")) == first
    sets = json.loads(first[outputs.DECONTAMINATE_SETS])
    assert sets["sets"]["ja"]["indexed"] == 1 and sets["sets"]["en"]["action"] == "cut"
    counts = json.loads(first["counts/decontaminate-en-00001.json"])
    assert counts["files"]["decontaminated/en/00001.parquet"] == 1
    assert counts["sets"]["en"]["documents_cut"] == 1


def test_scan_skips_when_the_input_folder_is_empty(tmp_path: Path) -> None:
    _write_sets(tmp_path / "eval")
    config = _config()
    ctx = RunContext(output_dir=str(tmp_path / "out"), seed=0)
    _, scan = build_decontaminate_phases(config, ctx, prepare_sets(config, tmp_path), outputs.DEDUPED)
    assert "no documents in deduped/" in (scan.skip_reason() or "")


# ------------------------------------------------------------------------------------------ the sample


def test_sample_pipeline_run_refuses_a_bad_eval_file_before_any_task(
    sample_inputs: Path, tmp_path: Path
) -> None:
    from corpus_builder.run import RunOptions, run_pipeline

    inputs = tmp_path / "in"
    (inputs / "eval").mkdir(parents=True)
    for path in sample_inputs.glob("eval/*.jsonl"):
        (inputs / "eval" / path.name).write_bytes(path.read_bytes())
    (inputs / "eval" / "en-quiz.jsonl").write_text('{"id": "x", "question": 3\n', encoding="utf-8")
    text = (REPO / "pipelines" / "sample.yaml").read_text(encoding="utf-8")
    text = text.replace('"../samples/sample-*.warc.gz"', f'"{sample_inputs}/sample-*.warc.gz"')
    pipeline = tmp_path / "p.yaml"
    pipeline.write_text(text.replace('"../samples/eval/', f'"{inputs}/eval/'), encoding="utf-8")
    with pytest.raises(EvalSetError, match=r"sample-en-quiz.*en-quiz\.jsonl: line 1: not JSON"):
        run_pipeline(pipeline, RunOptions(output=str(tmp_path / "out")))
    assert not (tmp_path / "out").exists()


def test_planted_cases_cover_every_expected_outcome() -> None:
    planted = planted_pages()
    assert {p.case.expected for p in planted} == {"drop", "cut", "keep"}
    assert {p.case.lang for p in planted} == {"ja", "en"}
    assert len({p.url for p in planted}) == len(planted)


@pytest.mark.slow
def test_sample_run_drops_exactly_the_planted_documents(sample_run: Path) -> None:
    planted = {p.url: p.case for p in planted_pages()}
    dropped = {}
    for path in sorted((sample_run / outputs.EXCLUDED).glob("decontaminate-*.parquet")):
        for row in pq.read_table(path).to_pylist():
            dropped[row["url"]] = as_dict(row["extra"])
    cut = {row["url"]: row for path in sorted((sample_run / outputs.DECONTAMINATE_CUTS).glob("*.parquet"))
           for row in pq.read_table(path).to_pylist()}  # fmt: skip
    assert set(dropped) == {url for url, case in planted.items() if case.expected == "drop"}
    assert set(cut) == {url for url, case in planted.items() if case.expected == "cut"}
    for url, extra in dropped.items():
        assert (extra["eval_set"], extra["eval_item_id"]) == (planted[url].set_name, planted[url].item_id)
    kept = {}
    for path in sorted((sample_run / outputs.DECONTAMINATED).glob("*/*.parquet")):
        table = pq.read_table(path)
        kept |= dict(zip(table.column("url").to_pylist(), table.column("text").to_pylist(), strict=True))
    for url, case in planted.items():
        if case.expected in ("cut", "keep"):
            assert url in kept, (url, case.case)
    (cut_url,) = cut
    assert "HOLLOWMERE" not in kept[cut_url].upper() and cut[cut_url]["eval_item_id"] == "er-001"
    totals = json.loads((sample_run / outputs.MANIFEST).read_text(encoding="utf-8"))["phase_totals"]
    by_set = totals["decontaminate"]["sets"]
    assert sum(counters["documents_dropped"] for counters in by_set.values()) == len(dropped)
    assert by_set["sample-en-reading"]["documents_cut"] == 1


@pytest.mark.slow
def test_report_shows_every_set_and_the_planted_documents(sample_run: Path, tmp_path: Path) -> None:
    from corpus_builder.report import build_report

    html = build_report(sample_run, tmp_path / "report.html").read_text(encoding="utf-8")
    section = html[html.index("<h2>Decontamination</h2>") : html.index("<h2>Distributions</h2>")]
    for name in ("sample-ja-quiz", "sample-ja-reading", "sample-en-quiz", "sample-en-reading"):
        assert name in section
    for planted in planted_pages():
        assert (planted.url in section) == (planted.case.expected != "keep"), planted.url
