"""Seeded mutation fuzzer for the WARC reader: damage one record of seven and check nothing good is lost.

    python -m bench.warc_fuzz [--files 1000] [--seed 0]

Each case is a file of 7 records (``response`` with an HTTP block, or ``resource``) written in one of three
layouts: ``per-record`` gzip (one member per record, as Common Crawl ships), ``single`` gzip member for the
whole file, and ``plain`` ``.warc``. One record is damaged by one mutation (truncation, flipped bytes, a
wrong or huge Content-Length, bare LF line endings, a dropped separator, garbage, a cut gzip member ...).
Then :func:`corpus_builder.sources.warc.reader.iter_warc` reads the file and every record is classified:

* every *good* record (the six undamaged ones, and the damaged one when the mutation is a leniency whose
  meaning is clear, e.g. bare LF or a doubled ``HTTP/1.1`` token) must come out exactly once with the same
  record id and payload bytes, not flagged as truncated;
* the damaged record may be an error row, flagged (``truncated``), absent or unchanged; "damaged changed"
  counts those emitted with other bytes and no flag (only possible where nothing in the file can tell,
  e.g. a flipped body byte in an uncompressed record without a digest check);
* records whose id was never written count as "invented".

The test suite runs a few hundred seeds (tests/test_warc_fuzz.py); this script runs the long campaign and
prints a table per layout. A case is fully determined by (seed, layout): rerun one with ``--case``.
"""

from __future__ import annotations

import argparse
import gzip
import io
import random
import sys
import time
import traceback
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from corpus_builder.sources.warc.reader import iter_warc
from corpus_builder.sources.warc.record import WarcReadError, WarcRecord

LAYOUTS = ("per-record", "single", "plain")
RECORDS_PER_FILE = 7
CRLF = b"\r\n"
WORDS = (
    b"alpha beta gamma delta <p> </p> <div> WARC HTTP/1.1 200 OK Content-Length: 12 \xe6\x97\xa5\xe6\x9c\xac "
    b"\xe8\xaa\x9e lorem ipsum dolor sit amet"
).split(b" ")


@dataclass
class Written:
    record_id: str
    payload: bytes
    raw: bytes  # the uncompressed record bytes, separator included


@dataclass
class Case:
    seed: int
    layout: str
    mutation: str
    damaged: int
    lenient: bool  # the damaged record is still meant to be read exactly
    records: list[Written]
    data: bytes


@dataclass
class Outcome:
    good: int = 0
    lost: int = 0
    duplicated: int = 0
    changed: int = 0
    invented: int = 0
    damaged_changed: int = 0
    raised: int = 0
    errors: int = 0
    problems: list[str] = field(default_factory=list)


# ------------------------------------------------------------------------------------------ writing


def _body(rng: random.Random) -> bytes:
    size = rng.choice((0, 1, rng.randint(2, 300), rng.randint(300, 4000), rng.randint(4000, 40000)))
    parts: list[bytes] = []
    n = 0
    while n < size:
        w = rng.choice(WORDS)
        if rng.random() < 0.02:  # bodies that look like framing must not confuse resynchronisation
            w = rng.choice((b"\r\n\r\n", b"\r\nWARC/1.0\r\n", b"\n\n", b"\x1f\x8b\x08"))
        parts.append(w)
        n += len(w) + 1
    return b" ".join(parts)[:size]


def _record(rng: random.Random, index: int) -> tuple[Written, dict]:
    rid = f"urn:uuid:{uuid.UUID(int=rng.getrandbits(128), version=4)}"
    body = _body(rng)
    http = rng.random() < 0.85
    if http:
        head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
        head += b"Content-Length: %d\r\n\r\n" % len(body)
        rtype, ctype = b"response", b"application/http; msgtype=response"
    else:
        head = b""
        rtype, ctype = b"resource", b"text/plain"
    parts = {
        "version": rng.choice((b"WARC/1.0", b"WARC/1.1")),
        "headers": [
            (b"WARC-Type", rtype),
            (b"WARC-Record-ID", f"<{rid}>".encode()),
            (b"WARC-Date", b"2024-02-20T10:00:%02dZ" % index),
            (b"WARC-Target-URI", b"http://example.com/%d" % index),
            (b"Content-Type", ctype),
        ],
        "head": head,
        "body": body,
    }
    return Written(rid, body, _serialise(parts)), parts


def _serialise(parts: dict, eol: bytes = CRLF, clen: bytes | None = None, sep: bytes = CRLF + CRLF) -> bytes:
    block = parts["head"] + parts["body"]
    lines = [parts["version"], *(k + b": " + v for k, v in parts["headers"])]
    lines.append(b"Content-Length: " + (clen if clen is not None else b"%d" % len(block)))
    return eol.join(lines) + eol + eol + block + sep


# ------------------------------------------------------------------------------------------ mutations

# A mutation gets (rng, parts of the damaged record, its bytes, the bytes after it) and returns the record's
# new bytes; ``None`` in LENIENT means the damaged record must still be read exactly.
Mutation = Callable[[random.Random, dict, bytes, int], bytes]


def _truncate(rng: random.Random, parts: dict, raw: bytes, rest: int) -> bytes:
    return raw[: rng.randint(1, len(raw) - 5)]


def _cut_header(rng: random.Random, parts: dict, raw: bytes, rest: int) -> bytes:
    return raw[: rng.randint(1, raw.index(b"\r\n\r\n") + 2)]


def _flip(rng: random.Random, parts: dict, raw: bytes, rest: int) -> bytes:
    b = bytearray(raw)
    for _ in range(rng.randint(1, 3)):
        b[rng.randrange(len(b))] ^= 1 << rng.randrange(8)
    return bytes(b)


def _zero_fill(rng: random.Random, parts: dict, raw: bytes, rest: int) -> bytes:
    i = rng.randrange(len(raw))
    n = rng.randint(1, 200)
    return raw[:i] + b"\x00" * n + raw[i + n :]


def _clen_off(rng: random.Random, parts: dict, raw: bytes, rest: int) -> bytes:
    n = len(parts["head"]) + len(parts["body"])
    delta = rng.choice((-1, 1)) * rng.choice((1, 2, 3, 4, 5, rng.randint(6, 2000)))
    return _serialise(parts, clen=b"%d" % max(n + delta, 0))


def _clen_huge(rng: random.Random, parts: dict, raw: bytes, rest: int) -> bytes:
    n = len(parts["head"]) + len(parts["body"])
    value = rng.choice((n + rest + rng.randint(1, 100), 10**12, 2**64 + 7, 10**40))
    return _serialise(parts, clen=b"%d" % value)


def _clen_bad(rng: random.Random, parts: dict, raw: bytes, rest: int) -> bytes:
    return _serialise(parts, clen=rng.choice((b"abc", b"-5", b"", b"0x10", b"1e3")))


def _garbage_after(rng: random.Random, parts: dict, raw: bytes, rest: int) -> bytes:
    junk = bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 300)))
    if rng.random() < 0.3:
        junk += b"\r\nWARC/1.0\r\nWARC-Type: resp"
    return raw + junk


def _bare_lf(rng: random.Random, parts: dict, raw: bytes, rest: int) -> bytes:
    p = dict(parts)
    if p["head"] and rng.random() < 0.5:
        p["head"] = p["head"].replace(CRLF, b"\n")
    return _serialise(p, eol=b"\n", sep=rng.choice((b"\n\n", CRLF + CRLF)))


def _drop_sep(rng: random.Random, parts: dict, raw: bytes, rest: int) -> bytes:
    return raw[: len(raw) - rng.choice((2, 4))]


def _doubled_protocol(rng: random.Random, parts: dict, raw: bytes, rest: int) -> bytes:
    p = dict(parts)
    if p["head"]:
        p["head"] = p["head"].replace(b"HTTP/1.1 200 OK", b"HTTP/1.1 HTTP/1.1 200 OK", 1)
    return _serialise(p)


def _no_reason(rng: random.Random, parts: dict, raw: bytes, rest: int) -> bytes:
    p = dict(parts)
    if p["head"]:
        p["head"] = p["head"].replace(b"HTTP/1.1 200 OK", rng.choice((b"HTTP/1.1 200", b"HTTP/1.1 200 ")), 1)
    return _serialise(p)


def _odd_case(rng: random.Random, parts: dict, raw: bytes, rest: int) -> bytes:
    p = dict(parts)
    p["headers"] = [
        (k.upper() if rng.random() < 0.5 else k.lower(), b"  " + v + b" \t") for k, v in p["headers"]
    ]
    lines = [p["version"], *(k + b":" + v for k, v in p["headers"])]
    n = len(p["head"]) + len(p["body"])
    lines.append(b"content-LENGTH :  %d " % n)
    return CRLF.join(lines) + CRLF + CRLF + p["head"] + p["body"] + CRLF + CRLF


MUTATIONS: dict[str, Mutation] = {
    "truncate": _truncate,
    "cut_header": _cut_header,
    "flip": _flip,
    "zero_fill": _zero_fill,
    "clen_off": _clen_off,
    "clen_huge": _clen_huge,
    "clen_bad": _clen_bad,
    "garbage_after": _garbage_after,
    "bare_lf": _bare_lf,
    "drop_sep": _drop_sep,
    "doubled_protocol": _doubled_protocol,
    "no_reason": _no_reason,
    "odd_case": _odd_case,
}
LENIENT = {"bare_lf", "drop_sep", "doubled_protocol", "no_reason", "odd_case", "garbage_after"}
# mutations that may rewrite the damaged record's own WARC-Record-ID
DAMAGING_IDS = {"flip", "zero_fill"}
# damage to the compressed bytes: only meaningful when every record has its own gzip member
GZIP_MUTATIONS = ("cut_member", "flip_member", "garbage_member", "empty_member")


def _gz(raw: bytes) -> bytes:
    return gzip.compress(raw, compresslevel=6, mtime=0)


def make_case(seed: int, layout: str) -> Case:
    rng = random.Random(f"{seed}:{layout}")
    made = [_record(rng, i) for i in range(RECORDS_PER_FILE)]
    records = [w for w, _ in made]
    damaged = rng.randrange(RECORDS_PER_FILE)
    names = list(MUTATIONS) + (list(GZIP_MUTATIONS) if layout == "per-record" else [])
    mutation = rng.choice(names)
    raws = [w.raw for w in records]
    rest = sum(len(r) for r in raws[damaged + 1 :])
    if mutation in MUTATIONS:
        raws[damaged] = MUTATIONS[mutation](rng, made[damaged][1], raws[damaged], rest)
    if layout == "plain":
        data = b"".join(raws)
    elif layout == "single":
        data = _gz(b"".join(raws))
    else:
        members = [_gz(r) for r in raws]
        m = members[damaged]
        if mutation == "cut_member":
            members[damaged] = m[: rng.randint(1, len(m) - 1)]
        elif mutation == "flip_member":
            b = bytearray(m)
            for _ in range(rng.randint(1, 3)):
                b[rng.randrange(len(b))] ^= 1 << rng.randrange(8)
            members[damaged] = bytes(b)
        elif mutation == "garbage_member":
            junk = bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 300)))
            members[damaged] = m + junk
        elif mutation == "empty_member":
            members[damaged] = m + _gz(b"")
        data = b"".join(members)
    lenient = mutation in LENIENT or mutation in ("garbage_member", "empty_member")
    return Case(seed, layout, mutation, damaged, lenient, records, data)


# ------------------------------------------------------------------------------------------ checking


def read_case(case: Case) -> list[WarcRecord | WarcReadError]:
    name = "fuzz.warc.gz" if case.layout != "plain" else "fuzz.warc"
    return list(iter_warc(name, open_fn=lambda _p: io.BytesIO(case.data)))  # type: ignore[arg-type,return-value]


def check_case(case: Case) -> Outcome:
    out = Outcome()
    try:
        items = read_case(case)
    except Exception:
        out.raised = 1
        out.problems.append(traceback.format_exc(limit=3))
        return out
    seen: Counter[str] = Counter()
    by_id: dict[str, list[WarcRecord]] = {}
    for item in items:
        if isinstance(item, WarcReadError):
            out.errors += 1
            continue
        seen[item.record_id] += 1
        by_id.setdefault(item.record_id, []).append(item)
    known = {w.record_id for w in case.records}
    unknown = [rid for rid in seen if rid not in known]
    if unknown and case.mutation in DAMAGING_IDS and case.records[case.damaged].record_id not in seen:
        out.damaged_changed += 1  # the damage hit the damaged record's own id
        out.problems.append(f"damaged record {case.damaged} emitted with id {unknown[0]!r}")
        unknown = unknown[1:]
    for rid in unknown:
        out.invented += 1
        out.problems.append(f"invented record {rid!r}")
    for i, w in enumerate(case.records):
        got = by_id.get(w.record_id, [])
        if i != case.damaged or case.lenient:
            out.good += 1
            if not got:
                out.lost += 1
                out.problems.append(f"record {i} lost")
            elif len(got) > 1:
                out.duplicated += 1
                out.problems.append(f"record {i} emitted {len(got)} times")
            elif got[0].payload != w.payload or got[0].truncated:
                out.changed += 1
                out.problems.append(f"record {i} changed (truncated={got[0].truncated})")
        elif any(g.payload != w.payload and not g.truncated for g in got) or len(got) > 1:
            out.damaged_changed += 1
            out.problems.append(f"damaged record {i} emitted changed and unflagged")
    return out


#: the per-case counts summed over a layout's files and printed as the table's columns
COUNTS = ("good", "lost", "duplicated", "changed", "invented", "damaged_changed", "raised", "errors")


def run(
    files: int, seed0: int, layouts: tuple[str, ...] = LAYOUTS, verbose: bool = False
) -> dict[str, Outcome]:
    totals: dict[str, Outcome] = {}
    for layout in layouts:
        tot = Outcome()
        for seed in range(seed0, seed0 + files):
            case = make_case(seed, layout)
            o = check_case(case)
            for k in COUNTS:
                setattr(tot, k, getattr(tot, k) + getattr(o, k))
            if o.problems:
                tot.problems.append(
                    f"seed {seed} {layout} {case.mutation} (record {case.damaged}): {o.problems}"
                )
                if verbose:
                    print(tot.problems[-1], file=sys.stderr)
        totals[layout] = tot
    return totals


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--files", type=int, default=1000, help="seeded files per layout")
    ap.add_argument("--seed", type=int, default=0, help="first seed")
    ap.add_argument("--case", nargs=2, metavar=("SEED", "LAYOUT"), help="run and describe one case")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every failing case")
    args = ap.parse_args(argv)
    if args.case:
        case = make_case(int(args.case[0]), args.case[1])
        print(f"mutation={case.mutation} damaged={case.damaged} lenient={case.lenient}")
        for item in read_case(case):
            print(
                item
                if isinstance(item, WarcReadError)
                else (item.record_id, len(item.payload), item.truncated)
            )
        print(check_case(case))
        return 0
    t0 = time.perf_counter()
    totals = run(args.files, args.seed, verbose=args.verbose)
    cols = ("files", *COUNTS)
    print("| layout | " + " | ".join(cols) + " |")
    print("|---" * (len(cols) + 1) + "|")
    for layout, o in totals.items():
        vals = [
            args.files,
            o.good,
            o.lost,
            o.duplicated,
            o.changed,
            o.invented,
            o.damaged_changed,
            o.raised,
            o.errors,
        ]
        print(f"| {layout} | " + " | ".join(str(v) for v in vals) + " |")
    print(
        f"seeds {args.seed}..{args.seed + args.files - 1}, {time.perf_counter() - t0:.1f} s", file=sys.stderr
    )
    bad = sum(o.lost + o.duplicated + o.changed + o.invented + o.raised for o in totals.values())
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
