"""End-to-end dedup phases on small Japanese/English corpora written by the tests."""

from __future__ import annotations

import contextlib
import random
import shutil
from pathlib import Path

import pytest

from corpus_builder.config.dedup import DedupConfig
from corpus_builder.dedup import DedupError, build_dedup_phases
from corpus_builder.dedup.hashing import MinHasher, normalize_url, shingle_text
from corpus_builder.phases.base import RunContext
from corpus_builder.phases.inline import StopRun, run_phases
from tests.test_dedup_helpers import (
    EN,
    JA,
    article,
    doc,
    edit,
    excluded,
    kept_ids,
    output_bytes,
    read_all,
    run_dedup,
    write_docs,
)


def jaccard(a: str, b: str, n: int = 5) -> float:
    sa = {shingle_text(a)[i : i + n] for i in range(len(shingle_text(a)) - n + 1)}
    sb = {shingle_text(b)[i : i + n] for i in range(len(shingle_text(b)) - n + 1)}
    return len(sa & sb) / len(sa | sb)


def corpus(out: Path, seed: int = 7) -> dict[str, str]:
    """Three input files, two languages. Returns id → role."""
    rng = random.Random(seed)
    roles: dict[str, str] = {}
    files: dict[tuple[str, str], list[dict]] = {("ja", "00000"): [], ("ja", "00001"): [], ("en", "00000"): []}
    for i in range(30):
        text = article(rng, JA) + " ABC 123ｶﾀｶﾅ"
        files[("ja", f"0000{i % 2}")].append(doc(f"ja-{i:03d}", text))
        roles[f"ja-{i:03d}"] = "unique"
        if i % 5 == 0:  # exact copy: whitespace and full-width variation only (NFKC)
            copy = "\u3000" + text.replace(" ABC 123ｶﾀｶﾅ", "\n ＡＢＣ\t１２３カタカナ ")
            files[("ja", f"0000{(i + 1) % 2}")].append(
                doc(f"ja-{i:03d}-exact", copy, snapshot="CC-MAIN-2023-50")
            )
            roles[f"ja-{i:03d}-exact"] = "exact"
        if i % 5 == 1:  # near copy: character edits + boilerplate line, older snapshot
            near = edit(text, rng, 3) + "\nこのページの先頭へ戻る"
            assert jaccard(text, near) > 0.8
            files[("ja", f"0000{(i + 1) % 2}")].append(
                doc(f"ja-{i:03d}-near", near, snapshot="CC-MAIN-2023-50")
            )
            roles[f"ja-{i:03d}-near"] = "near"
    for i in range(20):
        text = article(rng, EN, 5, " ")
        files[("en", "00000")].append(doc(f"en-{i:03d}", text, lang="en"))
        roles[f"en-{i:03d}"] = "unique"
        if i % 4 == 0:
            files[("en", "00000")].append(
                doc(
                    f"en-{i:03d}-exact",
                    "  " + text.replace(" ", "\n", 3) + " ",
                    lang="en",
                    snapshot="CC-MAIN-2023-50",
                )
            )
            roles[f"en-{i:03d}-exact"] = "exact"
    for (lang, task), docs in files.items():
        write_docs(out, lang, task, docs)
    return roles


def test_exact_near_and_unrelated(tmp_path: Path) -> None:
    roles = corpus(tmp_path)
    run_dedup(tmp_path, partitions=4)
    kept = kept_ids(tmp_path)
    ex = excluded(tmp_path)
    assert kept == {i for i, r in roles.items() if r == "unique"}
    assert set(ex) == {i for i, r in roles.items() if r != "unique"}
    for i, row in ex.items():
        assert row["duplicate_of"] == i.rsplit("-", 1)[0]
        assert row["reason"] == {"exact": "exact_dup", "near": "near_dup"}[roles[i]]
        assert row["stage"] == {"exact": "dedup.exact", "near": "dedup.near"}[roles[i]]
    deduped = read_all(tmp_path, "deduped")
    ids = deduped.column("id").to_pylist()
    sizes = dict(zip(ids, deduped.column("dup_cluster_size").to_pylist(), strict=True))
    assert sizes["ja-000"] == 2 and sizes["ja-002"] == 1
    assert deduped.schema.field("dup_cluster_size").type == "int32"
    clusters = read_all(tmp_path, "dedup/clusters")
    assert clusters.num_rows == 2 * len(ex)
    # counts use the writer's key format
    import json

    c = json.loads((tmp_path / "counts/dedup-ja-00000.json").read_text())
    assert any(k.startswith("kept|cc|ja") for k in c["counts"])
    assert any(k.startswith("excluded|cc|dedup.") for k in c["counts"])
    assert set(c["chars"]) == set(c["counts"])


def test_source_priority_and_newer_snapshot(tmp_path: Path) -> None:
    rng = random.Random(1)
    t1, t2 = article(rng, JA), article(rng, JA)
    write_docs(
        tmp_path,
        "ja",
        "00000",
        [
            doc("cc-old", t1, snapshot="CC-MAIN-2023-50"),
            doc("cc-new", t1, snapshot="CC-MAIN-2024-10"),
            doc("cc-t2", edit(t2, rng, 2)),
        ],
    )
    write_docs(tmp_path, "ja", "00001", [doc("wiki-t2", t2, source="wikipedia", snapshot="20240101")])
    run_dedup(tmp_path, partitions=3)
    assert kept_ids(tmp_path) == {"cc-new", "wiki-t2"}
    ex = excluded(tmp_path)
    assert ex["cc-old"]["duplicate_of"] == "cc-new" and ex["cc-old"]["reason"] == "exact_dup"
    assert ex["cc-t2"]["duplicate_of"] == "wiki-t2" and ex["cc-t2"]["reason"] == "near_dup"


@pytest.mark.parametrize("wiki_first", [True, False])
@pytest.mark.parametrize(("cc_name", "wiki_name"), [("cc", "wiki"), ("a-web", "z-encyclopedia")])
def test_default_priority_is_by_kind(tmp_path: Path, cc_name: str, wiki_name: str, wiki_first: bool) -> None:
    """The Wikipedia copy wins over the Common Crawl copy whatever the sources are called and
    whichever comes first (file order is the last tie-breaker of the priority key)."""
    rng = random.Random(9)
    text = article(rng, JA)
    cc_doc = doc("from-cc", text, source=cc_name, snapshot="CC-MAIN-2024-10")
    wiki_doc = doc("from-wiki", text, source=wiki_name, snapshot=None)
    first, second = (wiki_doc, cc_doc) if wiki_first else (cc_doc, wiki_doc)
    write_docs(tmp_path, "ja", "00000", [first])
    write_docs(tmp_path, "ja", "00001", [second])
    ctx = RunContext(output_dir=str(tmp_path), seed=0)
    kinds = {cc_name: "commoncrawl", wiki_name: "wikipedia"}
    run_phases(build_dedup_phases(DedupConfig(partitions=2), ctx, kinds))
    assert kept_ids(tmp_path) == {"from-wiki"}
    assert excluded(tmp_path)["from-cc"]["duplicate_of"] == "from-wiki"


def test_source_name_in_priority_outranks_kinds(tmp_path: Path) -> None:
    rng = random.Random(10)
    text = article(rng, JA)
    write_docs(tmp_path, "ja", "00000", [doc("wiki", text, source="wiki"), doc("mine", text, source="mine")])
    ctx = RunContext(output_dir=str(tmp_path), seed=0)
    config = DedupConfig(partitions=2, source_priority=["mine", "wikipedia"])
    run_phases(build_dedup_phases(config, ctx, {"wiki": "wikipedia", "mine": "commoncrawl"}))
    assert kept_ids(tmp_path) == {"mine"}
    assert config.source_rank("other", {"other": "commoncrawl"}) == 2  # unlisted: after both entries


def test_per_source_scope_keeps_cross_source_copies(tmp_path: Path) -> None:
    rng = random.Random(2)
    t = article(rng, JA)
    write_docs(tmp_path, "ja", "00000", [doc("cc", t), doc("wiki", t, source="wikipedia"), doc("cc2", t)])
    run_dedup(tmp_path, partitions=2, scope="per_source")
    assert kept_ids(tmp_path) == {"cc", "wiki"}


def test_url_dedup(tmp_path: Path) -> None:
    rng = random.Random(3)
    assert normalize_url("HTTPS://Example.COM:443/a/b/?q=1#frag") == "https://example.com/a/b?q=1"
    assert normalize_url("http://example.com") == "http://example.com/"
    assert normalize_url("http://example.com:8080/") == "http://example.com:8080/"
    write_docs(
        tmp_path,
        "ja",
        "00000",
        [
            doc("old", article(rng, JA), url="https://Example.com:443/page/#top", snapshot="CC-MAIN-2023-50"),
            doc("new", article(rng, JA), url="https://example.com/page", snapshot="CC-MAIN-2024-10"),
            doc("other", article(rng, JA), url="http://example.com/page"),
        ],
    )
    run_dedup(tmp_path, partitions=2)
    assert kept_ids(tmp_path) == {"new", "other"}
    assert excluded(tmp_path)["old"]["reason"] == "url_dup"
    shutil.rmtree(tmp_path / "deduped")
    shutil.rmtree(tmp_path / "excluded")
    shutil.rmtree(tmp_path / "dedup")
    run_dedup(tmp_path, partitions=2, url=False)
    assert kept_ids(tmp_path) == {"old", "new", "other"}


@pytest.mark.slow
def test_independent_of_partitions_and_task_order(tmp_path: Path) -> None:
    runs = []
    for i, (partitions, seed) in enumerate([(1, None), (7, 3), (16, 11)]):
        out = tmp_path / f"run{i}"
        corpus(out)
        run_dedup(out, shuffle_seed=seed, partitions=partitions)
        runs.append(output_bytes(out))
    assert runs[0] and runs[0] == runs[1] == runs[2]


@pytest.mark.slow
@pytest.mark.parametrize("stop_after", [1, 5, 9, 20, 40])
def test_killed_run_rerun_gives_identical_output(tmp_path: Path, stop_after: int) -> None:
    clean = tmp_path / "clean"
    corpus(clean)
    run_dedup(clean, partitions=3)
    killed = tmp_path / "killed"
    corpus(killed)
    ctx = RunContext(output_dir=str(killed), seed=0)
    cfg = DedupConfig(partitions=3)
    with contextlib.suppress(StopRun):
        run_phases(build_dedup_phases(cfg, ctx), shuffle_seed=5, stop_after_tasks=stop_after)
    (killed / "dedup/work/buckets/00000").mkdir(parents=True, exist_ok=True)
    (killed / "dedup/work/buckets/00000/000001.parquet.inprogress").write_bytes(b"half")
    run_phases(build_dedup_phases(cfg, ctx))
    assert output_bytes(killed) == output_bytes(clean)


def test_long_chain_needs_many_rounds(tmp_path: Path) -> None:
    """doc i shares its text with i+1 (even i) or its URL (odd i): a path of 300 documents whose
    best copy sits in the middle; all but one must go, each pointing at that one."""
    rng = random.Random(4)
    n = 300
    texts = [article(rng, JA) for _ in range(n)]
    docs = []
    for i in range(n):
        text = texts[i // 2 * 2]  # pairs (0,1), (2,3), ... share text
        url = f"https://chain.example/{(i + 1) // 2}"  # pairs (1,2), (3,4), ... share URL
        docs.append(
            doc(f"d{i:03d}", text, url=url, snapshot="CC-MAIN-2024-10" if i == 150 else "CC-MAIN-2023-50")
        )
    order = list(range(n))
    rng.shuffle(order)
    write_docs(tmp_path, "ja", "00000", [docs[i] for i in order[:150]])
    write_docs(tmp_path, "ja", "00001", [docs[i] for i in order[150:]])
    names = run_dedup(tmp_path, partitions=5, near=False)
    assert kept_ids(tmp_path) == {"d150"}
    ex = excluded(tmp_path)
    assert len(ex) == n - 1 and {r["duplicate_of"] for r in ex.values()} == {"d150"}
    assert sum(name.startswith("dedup.components.round") for name in names) >= 4
    assert read_all(tmp_path, "deduped").column("dup_cluster_size").to_pylist() == [n]


def test_max_rounds_error(tmp_path: Path) -> None:
    rng = random.Random(4)
    texts = [article(rng, JA) for _ in range(64)]
    docs = [doc(f"d{i:03d}", texts[i // 2 * 2], url=f"https://c.example/{(i + 1) // 2}") for i in range(64)]
    rng.shuffle(docs)
    write_docs(tmp_path, "ja", "00000", docs)
    with pytest.raises(DedupError, match="max_rounds=2"):
        run_dedup(tmp_path, partitions=2, near=False, max_rounds=2)


def test_incremental_against_index(tmp_path: Path) -> None:
    rng = random.Random(5)
    old_texts = [article(rng, JA) for _ in range(10)]
    first = tmp_path / "first"
    write_docs(
        first,
        "ja",
        "00000",
        [doc(f"old-{i}", t, snapshot="CC-MAIN-2023-50") for i, t in enumerate(old_texts)]
        + [doc("old-dup", old_texts[0], snapshot="CC-MAIN-2023-40")],
    )
    run_dedup(first, partitions=2)
    assert "old-dup" not in kept_ids(first)
    second = tmp_path / "second"
    new_unique = article(rng, JA)
    write_docs(
        second,
        "ja",
        "00000",
        [
            doc("new-exact", old_texts[1]),
            doc("new-near", edit(old_texts[2], rng, 2)),
            doc("new-wiki", old_texts[3], source="wikipedia"),  # the old copy was published already: it wins
            doc("new-unique", new_unique),
            doc("new-unique-dup", new_unique, snapshot="CC-MAIN-2023-50"),
            doc("new-dup-of-removed", old_texts[0]),
        ],
    )
    run_dedup(second, partitions=3, index=str(first / "dedup/index"))
    assert kept_ids(second) == {"new-unique"}
    ex = excluded(second)
    assert ex["new-exact"]["duplicate_of"] == "old-1"
    assert ex["new-near"]["duplicate_of"] == "old-2" and ex["new-near"]["reason"] == "near_dup"
    assert ex["new-wiki"]["duplicate_of"] == "old-3"
    assert ex["new-unique-dup"]["duplicate_of"] == "new-unique"
    assert ex["new-dup-of-removed"]["duplicate_of"] == "old-0"
    # an index built with other MinHash settings is refused with a clear message
    with pytest.raises(DedupError, match="MinHash"):
        run_dedup(
            tmp_path / "second", partitions=3, index=str(first / "dedup/index"), minhash={"preset": "swallow"}
        )


def test_config_validation() -> None:
    from pydantic import ValidationError

    assert DedupConfig().minhash.resolved() == (5, 20, 10)
    assert DedupConfig(minhash={"preset": "swallow"}).minhash.resolved() == (5, 40, 20)
    assert DedupConfig(minhash={"ngram": 3, "bands": 9, "rows": 13}).minhash.resolved() == (3, 9, 13)
    for bad in (
        {"minhash": {"preset": "swallow", "bands": 3}},
        {"minhash": {"bands": 3}},
        {"scope": "x"},
        {"partitions": 0},
        {"typo": 1},
        {"source_priority": ["a", "a"]},
    ):
        with pytest.raises(ValidationError):
            DedupConfig(**bad)


def test_minhash_estimates_jaccard() -> None:
    rng = random.Random(6)
    h = MinHasher(5, 20, 10, seed=1)
    base = article(rng, JA, 12)
    variants = [edit(base, rng, k) for k in (2, 8, 20, 40)] + [article(rng, JA, 12)]
    sigs = h.signatures([base, *variants])
    for v, s in zip(variants, sigs[1:], strict=False):
        est = float((s == sigs[0]).mean())
        assert abs(est - jaccard(base, v)) < 0.12
    # batching never changes a signature
    single = [h.signatures([t])[0] for t in [base, *variants]]
    assert (sigs == single).all()
    tiny = MinHasher(5, 20, 10, seed=1, chunk_elements=1000)
    assert (tiny.signatures([base, *variants]) == sigs).all()
    assert (h.signatures(["", "abc", "abc"])[1] == h.signatures(["abc"])[0]).all()
