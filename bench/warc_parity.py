"""Parity with warcio: every response record warcio parses is read by us with the same id and payload.

    python -m bench.warc_parity PATH [PATH ...]     (files or folders, searched recursively)

For each file, warcio's ``ArchiveIterator`` (the reference reader; ARC files are converted to WARC by
warcio, which invents the record ids, so there records are matched by offset) lists its response and
resource records with their payload as warcio decodes it (``content_stream()``: chunked transfer coding
and Content-Encoding undone). When warcio stops with an exception, the records it returned before count.
Then :func:`corpus_builder.sources.warc.reader.iter_warc` reads the same file, and the script prints, per
file: warcio's records, ours, records warcio reads and we do not (``missed``), records cut short that warcio
returns in part and we report as a ``truncated`` error row by design (``cut``), records both read with
different payload bytes (``differ``), records only we read (``extra``, e.g. past damage warcio stops at)
and our error rows. Exit status 1 if any record is missed or differs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from corpus_builder.sources.warc.reader import iter_warc
from corpus_builder.sources.warc.record import WarcReadError, WarcRecord

TYPES = ("response", "resource")
BIG = 1 << 40  # no payload bound: compare whole payloads


def warcio_records(path: Path) -> tuple[dict[str, bytes], dict[str, int], str | None]:
    """key -> payload of warcio's response/resource records, key -> offset, and what stopped warcio."""
    from warcio.archiveiterator import ArchiveIterator

    out: dict[str, bytes] = {}
    offsets: dict[str, int] = {}
    with path.open("rb") as f:
        it = ArchiveIterator(f, arc2warc=True)
        try:
            for rec in it:
                if rec.rec_type not in TYPES:
                    continue
                payload = rec.content_stream().read()
                key = _key(path, it.get_record_offset(), rec.rec_headers.get_header("WARC-Record-ID"))
                out[key] = payload
                offsets[key] = it.get_record_offset()
        except Exception as e:  # warcio's reason to stop: the records before it still count
            return out, offsets, " ".join(f"{type(e).__name__}: {e}".split())[:90]
    return out, offsets, None


def _key(path: Path, offset: int | None, record_id: str | None) -> str:
    if _is_arc(path):
        return f"@{offset}"
    return (record_id or "").strip().strip("<>")


def _is_arc(path: Path) -> bool:
    return ".arc" in path.name and ".warc" not in path.name


def our_records(path: Path) -> tuple[dict[str, list[bytes]], list[WarcReadError]]:
    ours: dict[str, list[bytes]] = {}
    errors = []
    for item in iter_warc(str(path), record_types=TYPES, max_payload_bytes=BIG):
        if isinstance(item, WarcReadError):
            errors.append(item)
        elif isinstance(item, WarcRecord):
            ours.setdefault(_key(path, item.offset, item.record_id), []).append(item.payload)
    return ours, errors


def compare(path: Path) -> dict[str, object]:
    ref, offsets, stopped = warcio_records(path)
    ours, errors = our_records(path)
    # a record cut short: warcio returns the part it has, we an error row saying "truncated" (by design)
    cut_keys = {_key(path, e.offset, e.record_id) for e in errors if "truncated" in e.reason}
    cut_keys |= {f"@{e.offset}" for e in errors if "truncated" in e.reason}
    cut = [k for k in ref if k not in ours and (k in cut_keys or f"@{offsets.get(k)}" in cut_keys)]
    missed = [k for k in ref if k not in ours and k not in cut]
    differ = [k for k in ref if k in ours and ours[k] != [ref[k]]]
    extra = [k for k in ours if k not in ref]
    return {
        "file": str(path),
        "warcio": len(ref),
        "ours": sum(len(v) for v in ours.values()),
        "missed": len(missed),
        "cut": len(cut),
        "differ": len(differ),
        "extra": len(extra),
        "errors": len(errors),
        "warcio_stopped": stopped or "",
        "detail": missed[:3] + differ[:3],
    }


def _files(paths: list[str]) -> list[Path]:
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out += sorted(q for q in p.rglob("*") if q.is_file() and _is_archive(q))
        else:
            out.append(p)
    return out


def _is_archive(p: Path) -> bool:
    return any(s in p.name for s in (".warc", ".arc"))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("paths", nargs="+")
    args = ap.parse_args(argv)
    rows = [compare(p) for p in _files(args.paths)]
    cols = ("warcio", "ours", "missed", "cut", "differ", "extra", "errors")
    print("| file | " + " | ".join(cols) + " | warcio stopped |")
    print("|---" * (len(cols) + 2) + "|")
    for r in rows:
        name = "/".join(Path(str(r["file"])).parts[-2:])
        print(f"| {name} | " + " | ".join(str(r[c]) for c in cols) + f" | {r['warcio_stopped']} |")
    total = {c: sum(int(r[c]) for r in rows) for c in cols}  # type: ignore[call-overload]
    print(f"| **all {len(rows)} files** | " + " | ".join(str(total[c]) for c in cols) + " | |")
    for r in rows:
        if r["detail"]:
            print(f"{r['file']}: missed/differ {r['detail']}", file=sys.stderr)
    return 1 if total["missed"] or total["differ"] else 0


if __name__ == "__main__":
    sys.exit(main())
