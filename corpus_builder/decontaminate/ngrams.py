"""64-bit n-gram hashes of unit sequences, vectorised.

A unit (a character's code point, or a word's xxh3_64) becomes a 64-bit value; an n-gram's hash is a
polynomial over the unit values of its window (mod 2**64, so numpy's wrapping uint64 arithmetic
computes it for all windows at once), then avalanched by the murmur3 64-bit finaliser with the window
length mixed in. Computing the n-grams builds every shorter window length on the way, so the whole
item hashes that short items need (see index.py) cost one extra lookup, not one extra pass.

Two different windows collide only when the polynomial of their unit differences vanishes: a single
differing unit never collides (the multiplier is odd, so multiplication is a bijection); otherwise
the chance is about 2**-64 per pair: ~5e-8 expected collisions over 1e6 index entries x 1e6
document n-grams.
Everything is a pure function of the text: no seed, no process state, so results are deterministic.
"""

from __future__ import annotations

import numpy as np
import xxhash

_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)  # odd: 2**64 / golden ratio
_LENGTH_SALT = np.uint64(0xD6E8FEB86659FD93)
_UNIT_SALT = np.uint64(0x632BE59BD9B4E019)  # keeps code point 0 from hashing to 0
_FMIX_1 = np.uint64(0xFF51AFD7ED558CCD)
_FMIX_2 = np.uint64(0xC4CEB9FE1A85EC53)
_S33 = np.uint64(33)


def _avalanche(values: np.ndarray) -> np.ndarray:
    """murmur3's fmix64 on every element (a bijection of uint64 that spreads every input bit)."""
    values = values ^ (values >> _S33)
    values = values * _FMIX_1
    values = values ^ (values >> _S33)
    values = values * _FMIX_2
    return values ^ (values >> _S33)


def code_points(chars: str) -> np.ndarray:
    return np.frombuffer(chars.encode("utf-32-le"), dtype=np.uint32)


def code_point_values(codes: np.ndarray) -> np.ndarray:
    """One uint64 per code point (avalanched, so neighbouring code points are unrelated values)."""
    return _avalanche(codes.astype(np.uint64) + _UNIT_SALT)


def char_unit_values(chars: str) -> np.ndarray:
    """One uint64 per character of `chars`."""
    return code_point_values(code_points(chars))


def word_unit_values(words: list[str]) -> np.ndarray:
    """One uint64 per word: xxh3_64 of its UTF-8 bytes."""
    digest = xxhash.xxh3_64_intdigest
    return np.fromiter((digest(word.encode("utf-8")) for word in words), dtype=np.uint64, count=len(words))


def window_hashes(units: np.ndarray, lengths: set[int] | frozenset[int]) -> dict[int, np.ndarray]:
    """{L: hash of every window of L units, by start position} for each L in `lengths`.

    Lengths longer than the sequence get an empty array.
    """
    wanted = sorted(lengths)
    result = {length: np.empty(0, dtype=np.uint64) for length in wanted}
    if not wanted or units.size == 0:
        return result
    with np.errstate(over="ignore"):
        rolling = np.zeros(units.size, dtype=np.uint64)
        for length in range(1, min(wanted[-1], units.size) + 1):
            # rolling[i] = sum_j units[i + j] * M**(length - 1 - j), for the windows that still fit
            rolling = rolling[: units.size - length + 1] * _MULTIPLIER + units[length - 1 :]
            if length in result:
                result[length] = _avalanche(rolling ^ (np.uint64(length) * _LENGTH_SALT))
    return result


def distinct_hashes(units: np.ndarray, length: int) -> np.ndarray:
    """The sorted distinct hashes of all windows of `length` units (empty if the sequence is shorter)."""
    return np.unique(window_hashes(units, {length})[length])
