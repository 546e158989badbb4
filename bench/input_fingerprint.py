"""What an input fingerprint costs: the sampled hash the run identity uses (size + first and last MiB,
corpus_builder/run/output_claim.py) against a full sha256, on one file of --size MiB (default 1024, the
size of a Common Crawl WARC), read cold (page cache dropped when run as root) and warm.

    python bench/input_fingerprint.py [--size 1024] [--dir /tmp]

Writes one temporary file of random bytes under --dir and removes it.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import tempfile
import time

from corpus_builder.run.output_claim import input_fingerprint

_CHUNK = 1 << 20


def full_sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _drop_cache(path: str) -> None:
    """Evict the file from the page cache (posix_fadvise), so the first read comes from the disk."""
    subprocess.run(["sync"], check=False)
    fd = os.open(path, os.O_RDONLY)
    try:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def _timed(fn, path: str) -> float:  # noqa: ANN001 - a hash function of a path
    started = time.perf_counter()
    fn(path)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1024, help="file size in MiB")
    parser.add_argument("--dir", default=tempfile.gettempdir(), help="where to write the file")
    args = parser.parse_args()
    with tempfile.NamedTemporaryFile(dir=args.dir, suffix=".warc.gz") as f:
        block = os.urandom(_CHUNK)
        for index in range(args.size):
            f.write(index.to_bytes(8, "little") + block[8:])
        f.flush()
        os.fsync(f.fileno())
        rows = []
        hashes = (("sampled (size + first/last MiB)", input_fingerprint), ("full sha256", full_sha256))
        for name, fn in hashes:
            _drop_cache(f.name)
            cold = _timed(fn, f.name)
            warm = min(_timed(fn, f.name) for _ in range(3))
            rows.append((name, cold, warm))
    print(f"| fingerprint of a {args.size:,} MiB file | cold (s) | warm (s) | MiB/s warm |")
    print("|---|---:|---:|---:|")
    for name, cold, warm in rows:
        print(f"| {name} | {cold:.3f} | {warm:.4f} | {args.size / warm:,.0f} |")
    ratio = rows[1][2] / rows[0][2]
    print(f"\nfull / sampled (warm): {ratio:,.0f}x")


if __name__ == "__main__":
    main()
