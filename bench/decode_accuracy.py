"""Measure how often decode_html() recovers the right text on a folder of real pages with known encodings.

Usage: python bench/decode_accuracy.py PATH [--all] [--repeat N]

PATH holds one sub-folder per encoding, named after it (e.g. SHIFT_JIS/, EUC-JP/, windows-1251-russian/);
each file in a sub-folder is a page in that encoding. decode_html() is called without an HTTP charset,
so only what is inside the bytes (BOM, XML declaration, <meta>, content) is available to it.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from corpus_builder.text.decode.chain import decode_html  # noqa: E402
from corpus_builder.text.decode.labels import normalize_charset  # noqa: E402

CJK_FOLDERS: tuple[str, ...] = (
    "SHIFT_JIS",
    "CP932",
    "EUC-JP",
    "iso-2022-jp",
    "GB2312",
    "Big5",
    "EUC-KR",
    "CP949",
    "iso-2022-kr",
    "Johab",
    "EUC-TW",
)

# Folder names that must not go through the WHATWG table: the UTF-16/32 folders hold files with
# either byte order behind a BOM, which only Python's BOM-aware codecs read correctly.
_TRUTH_OVERRIDES: dict[str, str] = {
    "utf-16": "utf-16",
    "utf-32": "utf-32",
    "utf-16le": "utf-16-le",
    "utf-16be": "utf-16-be",
    "utf-32le": "utf-32-le",
    "utf-32be": "utf-32-be",
    "utf-8-sig": "utf-8-sig",
}

# How many characters our decode may put where the reference decode has one U+FFFD: an invalid
# sequence can be 1-4 bytes, and a different codec may read it as up to that many characters.
_MAX_FFFD_SPAN = 4

RULE = (
    "A file counts as correct when decode_html(payload).text equals payload.decode(truth, 'replace'), "
    "where truth is normalize_charset(folder name), or when the only differences are where that reference "
    f"decode itself produced U+FFFD (each such U+FFFD may correspond to 0-{_MAX_FFFD_SPAN} characters in "
    "our text)."
)


def truth_codec(folder: str) -> str | None:
    key = folder.lower()
    if key in _TRUTH_OVERRIDES:
        return _TRUTH_OVERRIDES[key]
    # Folders like "windows-1250-czech" carry a language suffix after the charset label.
    parts = folder.split("-")
    for cut in range(len(parts), 0, -1):
        codec = normalize_charset("-".join(parts[:cut]))
        if codec is not None:
            return codec
    return None


def matches(ours: str, truth: str) -> bool:
    if ours == truth:
        return True
    if "\ufffd" not in truth:
        return False
    gap = f"[\\s\\S]{{0,{_MAX_FFFD_SPAN}}}?"
    pattern = gap.join(re.escape(segment) for segment in truth.split("\ufffd"))
    return re.fullmatch(pattern, ours) is not None


def first_difference(ours: str, truth: str) -> str:
    diffs = (k for k, (a, b) in enumerate(zip(ours, truth, strict=False)) if a != b)
    i = next(diffs, min(len(ours), len(truth)))
    return f"at char {i}: ours={ours[max(0, i - 10) : i + 10]!r} truth={truth[max(0, i - 10) : i + 10]!r}"


@dataclass
class Row:
    folder: str
    codec: str | None
    files: int = 0
    correct: int = 0
    seconds: float = 0.0
    codec_seconds: float = 0.0  # the bare payload.decode() with the chosen codec, for comparison
    methods: Counter[str] = field(default_factory=Counter)
    misses: list[str] = field(default_factory=list)


def run_folder(folder: Path, repeat: int) -> Row:
    row = Row(folder.name, truth_codec(folder.name))
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        payload = path.read_bytes()
        row.files += 1
        decode_html(payload)  # untimed: the first use of a codec pays for importing its module
        start = time.perf_counter()
        for _ in range(repeat):
            page = decode_html(payload)
        row.seconds += (time.perf_counter() - start) / repeat
        start = time.perf_counter()
        for _ in range(repeat):
            payload.decode(page.charset, "replace")
        row.codec_seconds += (time.perf_counter() - start) / repeat
        row.methods[f"{page.method}:{page.charset}"] += 1
        if row.codec is None:
            continue
        truth = payload.decode(row.codec, "replace")
        if matches(page.text, truth):
            row.correct += 1
        else:
            row.misses.append(
                f"{folder.name}/{path.name}: got {page.charset} via {page.method}; "
                f"{first_difference(page.text, truth)}"
            )
    return row


def per_page(seconds: float, files: int) -> str:
    return f"{1e6 * seconds / files:.0f}" if files else "-"


def format_row(row: Row) -> str:
    methods = ", ".join(f"{m}×{n}" for m, n in row.methods.most_common())
    if row.codec is None:
        return f"| {row.folder} | {row.files} | - | unsupported (no Python codec) | {methods} | - | - |"
    accuracy = f"{100.0 * row.correct / row.files:.1f}%" if row.files else "-"
    return (
        f"| {row.folder} ({row.codec}) | {row.files} | {row.correct} | {accuracy} | {methods} "
        f"| {per_page(row.seconds, row.files)} | {per_page(row.codec_seconds, row.files)} |"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("path", type=Path, help="folder with one sub-folder per true encoding")
    parser.add_argument("--all", action="store_true", help="run every sub-folder, not just the CJK ones")
    parser.add_argument("--repeat", type=int, default=5, help="decode each file N times for timing")
    args = parser.parse_args(argv)

    if not args.path.is_dir():
        print(f"not a directory: {args.path}", file=sys.stderr)
        return 2
    present = {p.name: p for p in args.path.iterdir() if p.is_dir()}
    cjk = [present[name] for name in CJK_FOLDERS if name in present]
    others = sorted((p for n, p in present.items() if n not in CJK_FOLDERS), key=lambda p: p.name.lower())
    folders = cjk + others
    if not args.all:
        folders = cjk

    rows = [run_folder(folder, max(1, args.repeat)) for folder in folders]

    print(RULE)
    print()
    print("| encoding | files | correct | accuracy | methods used | µs/page | bare decode µs/page |")
    print("| --- | ---: | ---: | ---: | --- | ---: | ---: |")
    for row in rows:
        print(format_row(row))

    def total(label: str, selected: list[Row]) -> None:
        supported = [r for r in selected if r.codec is not None]
        files = sum(r.files for r in supported)
        correct = sum(r.correct for r in supported)
        seconds = sum(r.seconds for r in supported)
        codec_seconds = sum(r.codec_seconds for r in supported)
        skipped = sum(r.files for r in selected if r.codec is None)
        note = f"{skipped} unsupported file(s) excluded" if skipped else ""
        accuracy = f"{100.0 * correct / files:.1f}%" if files else "-"
        cost, bare = per_page(seconds, files), per_page(codec_seconds, files)
        print(f"| **{label}** | {files} | {correct} | {accuracy} | {note} | {cost} | {bare} |")

    cjk_names = set(CJK_FOLDERS)
    total("total CJK", [r for r in rows if r.folder in cjk_names])
    if args.all:
        total("total all", rows)

    misses = [m for r in rows for m in r.misses]
    if misses:
        print()
        print("Misses:")
        for miss in misses:
            print(f"- {miss}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
