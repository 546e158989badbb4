"""Text/URL normalisation and the hashes dedup is built on: exact, URL and MinHash signatures.

Everything here is a pure function of its input (and the seed), vectorised with numpy over a
batch of documents, so the same document always gets the same hashes on any worker.

MinHash (Broder 1997) over character n-grams of NFKC-normalised text:

1. shingle hashes: the text's Unicode code points (UTF-32) → a 64-bit polynomial hash of every
   window of `ngram` code points, computed for a whole batch at once, then the splitmix64
   finaliser (Steele et al. 2014) so every bit depends on every code point. Hashing each shingle's
   bytes with xxhash would cost one Python call per shingle; this is the same quality of 64-bit
   hash for a fraction of the time (`bench/minhash.py` measures it).
2. `bands * rows` hash functions h_i(x) = ((x XOR b_i) * a_i) mod 2^64 with odd a_i: each is
   a bijection of the 64-bit space (x is already a well-mixed 64-bit hash), so the minimum over a
   document's shingles is a min-wise sample; two vectorised passes per (shingle, function), done
   in place on a cache-sized buffer. a_i, b_i come from numpy's PCG64 seeded with `seed`.
3. each band's `rows` minima → one 64-bit band hash; two documents are candidates if any band
   hash is equal (classic LSH banding, Leskovec et al., Mining of Massive Datasets ch. 3).
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit, urlunsplit

import numpy as np
import xxhash

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_POLY = np.uint64(0x100000001B3)  # FNV-64 prime: odd, > any code point
_S30, _S27, _S31, _S29 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(29)

_WS = re.compile(r"\s+")


def mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser, elementwise on uint64 (wrapping arithmetic)."""
    x = np.asarray(x, dtype=np.uint64)
    with np.errstate(over="ignore"):
        x = (x ^ (x >> _S30)) * _M1
        x = (x ^ (x >> _S27)) * _M2
    return x ^ (x >> _S31)


def partition_of(keys: np.ndarray, partitions: int) -> np.ndarray:
    """Partition of each uint64 key: independent of key structure (keys are mixed first)."""
    return ((mix64(keys) >> np.uint64(32)) % np.uint64(partitions)).astype(np.int64)


def normalize_text(text: str) -> str:
    """NFKC, whitespace runs → one space, stripped. The text exact dedup compares."""
    return _WS.sub(" ", unicodedata.normalize("NFKC", text)).strip()


def shingle_text(text: str) -> str:
    """What MinHash shingles: `normalize_text` and lower case (only affects cased scripts)."""
    return normalize_text(text).lower()


def exact_hash(text: str, normalized: bool = False) -> bytes:
    """xxh3_128 of the UTF-8 bytes of the normalised text (16 bytes, big-endian digest)."""
    return xxhash.xxh3_128_digest((text if normalized else normalize_text(text)).encode("utf-8"))


def normalize_url(url: str | None) -> str | None:
    """The URL form two records must share to be URL duplicates; None if there is no usable URL.

    scheme and host lower-cased; `http` and `https` are *kept distinct*; default port (80/443)
    dropped; fragment dropped; empty path → `/`; one trailing `/` removed from non-root paths
    (`/a/` ≡ `/a`); query kept verbatim (it often selects different content). Userinfo kept.
    """
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return url.strip()
    scheme = parts.scheme.lower()
    if not scheme or not host:
        return url.strip()
    netloc = host.lower()
    if parts.username is not None:
        userinfo = parts.username + (f":{parts.password}" if parts.password is not None else "")
        netloc = f"{userinfo}@{netloc}"
    if port is not None and not ((scheme == "http" and port == 80) or (scheme == "https" and port == 443)):
        netloc = f"{netloc}:{port}"
    path = parts.path or "/"
    if len(path) > 1 and path.endswith("/"):
        path = path[:-1]
    return urlunsplit((scheme, netloc, path, parts.query, ""))


def url_hash(url: str | None) -> int:
    """64-bit hash of the normalised URL; 0 means "no URL" (never a duplicate)."""
    norm = normalize_url(url)
    if norm is None:
        return 0
    return xxhash.xxh3_64_intdigest(norm.encode("utf-8")) or 1


def string_hash64(value: str) -> int:
    return xxhash.xxh3_64_intdigest(value.encode("utf-8"))


class MinHasher:
    """Signatures and band hashes for batches of texts; parameters fixed by (ngram, bands, rows, seed)."""

    def __init__(self, ngram: int, bands: int, rows: int, seed: int, chunk_elements: int = 1 << 18) -> None:
        self.ngram, self.bands, self.rows, self.seed = ngram, bands, rows, seed
        self.num_perm = bands * rows
        rng = np.random.Generator(np.random.PCG64(seed))
        self.a = rng.integers(0, 2**63, size=self.num_perm, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
        self.b = rng.integers(0, 2**63, size=self.num_perm, dtype=np.uint64)
        self.chunk_elements = chunk_elements
        with np.errstate(over="ignore"):
            self._powers = np.array(
                [int(pow(int(_POLY), ngram - 1 - i, 2**64)) for i in range(ngram)], dtype=np.uint64
            )

    # -- shingles ---------------------------------------------------------------------------
    def shingles(self, texts: list[str], normalized: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Shingle hashes of every text, concatenated, and the start offset of each text's run.

        Texts shorter than `ngram` code points are padded with U+0000 to one shingle, so every
        text has at least one shingle (empty texts all share one). `normalized`: the texts are
        already `normalize_text` output.
        """
        n = self.ngram
        arrays = []
        lengths = np.empty(len(texts), dtype=np.int64)
        for i, text in enumerate(texts):
            text = text.lower() if normalized else shingle_text(text)
            cps = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
            if cps.size < n:
                cps = np.concatenate([cps, np.zeros(n - cps.size, dtype=np.uint32)])
            arrays.append(cps)
            lengths[i] = cps.size
        if not arrays:
            return np.empty(0, np.uint64), np.empty(0, np.int64)
        cp = np.concatenate(arrays).astype(np.uint64)
        windows = cp.size - n + 1
        with np.errstate(over="ignore"):
            h = cp[:windows] * self._powers[0]
            for i in range(1, n):
                h += cp[i : i + windows] * self._powers[i]
        h = mix64(h)
        counts = lengths - n + 1  # shingles per text, ≥ 1
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        # indices of valid windows: starts[d] .. starts[d] + counts[d] - 1
        offsets = np.concatenate([[0], np.cumsum(counts)[:-1]])
        idx = np.arange(counts.sum(), dtype=np.int64) - np.repeat(offsets - starts, counts)
        return h[idx], offsets

    # -- signatures -------------------------------------------------------------------------
    def _permute_min(self, sh: np.ndarray, offsets: np.ndarray) -> np.ndarray:
        if self._buffer is None:
            self._buffer = np.empty((max(1, self.chunk_elements // self.num_perm), self.num_perm), np.uint64)
        y = self._buffer[: sh.size]
        np.bitwise_xor(sh[:, None], self.b[None, :], out=y)
        np.multiply(y, self.a[None, :], out=y)
        return np.minimum.reduceat(y, offsets, axis=0)

    _buffer: np.ndarray | None = None

    def signatures(self, texts: list[str], normalized: bool = False) -> np.ndarray:
        """MinHash signatures, shape (len(texts), bands * rows), uint64."""
        sh, offsets = self.shingles(texts, normalized)
        out = np.empty((len(texts), self.num_perm), dtype=np.uint64)
        if not texts:
            return out
        counts = np.diff(np.append(offsets, sh.size))
        max_shingles = max(1, self.chunk_elements // self.num_perm)
        d = 0
        while d < len(texts):
            if counts[d] > max_shingles:  # one long text: running minimum over slices
                lo = offsets[d]
                acc = None
                for s in range(lo, lo + counts[d], max_shingles):
                    part = self._permute_min(
                        sh[s : min(s + max_shingles, lo + counts[d])], np.zeros(1, np.int64)
                    )
                    acc = part if acc is None else np.minimum(acc, part)
                out[d] = acc[0]
                d += 1
                continue
            e, total = d, 0
            while e < len(texts) and total + counts[e] <= max_shingles:
                total += counts[e]
                e += 1
            lo, hi = offsets[d], offsets[d] + total
            out[d:e] = self._permute_min(sh[lo:hi], offsets[d:e] - lo)
            d = e
        return out

    def band_hashes(self, signatures: np.ndarray) -> np.ndarray:
        """(n, bands) uint64: one hash of each band's `rows` minima."""
        sig = signatures.reshape(signatures.shape[0], self.bands, self.rows)
        h = np.zeros(sig.shape[:2], dtype=np.uint64)
        with np.errstate(over="ignore"):
            for j in range(self.rows):
                h = mix64(h * _POLY + sig[:, :, j])
        return h

    def band_hashes_of(self, texts: list[str], normalized: bool = False) -> np.ndarray:
        return self.band_hashes(self.signatures(texts, normalized))


def bucket_keys(band_hashes: np.ndarray, scope_hash: np.ndarray | None) -> np.ndarray:
    """(n, bands) band hashes → bucket keys: band index (and source, for per-source scope) mixed in."""
    n, bands = band_hashes.shape
    band_ids = (np.arange(bands, dtype=np.uint64) + np.uint64(1)) * _GOLDEN
    with np.errstate(over="ignore"):
        k = band_hashes ^ band_ids[None, :]
        if scope_hash is not None:
            k = k + scope_hash[:, None] * _M1
    return mix64(k)


DOMAIN_EXACT = 0x45584143545F4B59  # "EXACT_KY"
DOMAIN_URL = 0x55524C5F5F4B4559  # "URL__KEY"


def domain_keys(values: np.ndarray, domain: int, scope_hash: np.ndarray | None) -> np.ndarray:
    """Exact/URL hashes → bucket keys in their own domain (never equal to a band's key by design)."""
    with np.errstate(over="ignore"):
        k = values ^ np.uint64(domain)
        if scope_hash is not None:
            k = k + scope_hash * _M1
    return mix64(k)
