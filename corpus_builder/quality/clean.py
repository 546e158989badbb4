"""Line-level cleaning: modifiers that change a document's text and count what they changed.

Every function here is pure, ``text -> (new_text, count)``, never raises, and leaves a text it has
nothing to do with unchanged (the same object), so "count == 0" means "text untouched".

* :func:`normalize_kutoten` — Swallow corpus v1 ``kutoten.normalize`` semantics: ``，``/``．`` become
  ``、``/``。`` only when, after a Japanese character or closing bracket, the full-width
  comma/period form is *more frequent* than the ``、``/``。`` form; runs are preserved and a mark
  directly after a full-width alphanumeric (``１，０００``) is left alone.
* :func:`trim_footer` — Swallow corpus v1 ``footer.apply`` semantics: among the last 10 lines, the
  first line where deleting every footer keyword (longest first) removes more than 30 % of its
  characters is dropped together with everything after it.
* :func:`remove_url_only_lines`, :func:`remove_symbol_only_lines` — lines that hold nothing but
  URLs, or nothing but punctuation/symbols/spaces (project rules).
* :func:`keep_kana_lines` — LLM-jp ``extract_japanese_text`` (llm-jp-corpus scripts/filters.py at
  c58e94f, unchanged at v2.0.0 6e7746d): keep only lines with a character of Unicode script
  Hiragana or Katakana or ``ー``, and delete URLs, then ASCII runs of 100+ characters, inside them
  (lines are re-joined with ``\\n``; LLM-jp joins them with nothing, which loses the line breaks
  but not a character of text).
* :func:`nfkc` — Unicode NFKC (HojiChar ``DocumentNormalizer``); counts changed characters.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import regex

from corpus_builder.contracts.shipped_data import SHIPPED_FILTERS_DIR

WORDLISTS_DIR = SHIPPED_FILTERS_DIR / "wordlists"
DEFAULT_FOOTER_KEYWORDS = WORDLISTS_DIR / "footer_ja.txt"


def read_wordlist(path: str | Path) -> tuple[str, ...]:
    """Non-empty lines of a UTF-8 word list, stripped; lines starting with ``#`` are comments.

    Order is kept and duplicates are removed.  A word that must start with ``#`` is written ``\\#``.
    """
    words: dict[str, None] = {}
    for raw in Path(path).read_text(encoding="utf-8").splitlines():
        word = raw.strip()
        if not word or word.startswith("#"):
            continue
        if word.startswith("\\#"):
            word = word[1:]
        words[word] = None
    return tuple(words)


# --------------------------------------------------------------------------------------------
# Kutoten (Swallow)
# --------------------------------------------------------------------------------------------

# Japanese letters (hiragana incl. ゝゞ, katakana incl. ー・ヽヾ, kanji) and closing brackets.
_JA_OR_CLOSE = "\u3041-\u309f\u30a0-\u30ff\u3400-\u9fff\uf900-\ufaff々〇〻」』）】〕〉》］｝”’"
_FW_ALNUM = "０-９Ａ-Ｚａ-ｚ"
_AFTER_JA = {mark: re.compile(f"(?<=[{_JA_OR_CLOSE}]){mark}+") for mark in "、，。．"}
_REPLACEABLE = {mark: re.compile(f"(?<![{_FW_ALNUM}]){mark}") for mark in "，．"}


def normalize_kutoten(text: str) -> tuple[str, int]:
    """Swallow's kutoten normalisation; the count is the number of marks replaced."""
    changed = 0
    for fullwidth, japanese in (("，", "、"), ("．", "。")):
        if fullwidth not in text:
            continue
        n_fullwidth = len(_AFTER_JA[fullwidth].findall(text))
        n_japanese = len(_AFTER_JA[japanese].findall(text))
        if n_fullwidth > n_japanese:
            text, n = _REPLACEABLE[fullwidth].subn(japanese, text)
            changed += n
    return text, changed


# --------------------------------------------------------------------------------------------
# Footer trimming (Swallow)
# --------------------------------------------------------------------------------------------

FOOTER_LOOKBACK_LINES = 10
FOOTER_MIN_REMOVED_SHARE = 0.3


@cache
def _footer_keywords(path: str) -> tuple[str, ...]:
    return tuple(sorted(read_wordlist(path), key=len, reverse=True))


def footer_keyword_share(line: str, keywords: Iterable[str]) -> float:
    """Share of the line's characters removed by deleting every keyword in turn (longest first)."""
    if not line:
        return 0.0
    rest = line
    for keyword in keywords:
        if keyword in rest:
            rest = rest.replace(keyword, "")
    return (len(line) - len(rest)) / len(line)


def trim_footer(
    text: str,
    keywords_path: str | Path = DEFAULT_FOOTER_KEYWORDS,
    lookback: int = FOOTER_LOOKBACK_LINES,
    min_share: float = FOOTER_MIN_REMOVED_SHARE,
) -> tuple[str, int]:
    """Swallow's footer trimming; the count is the number of lines dropped."""
    keywords = _footer_keywords(str(keywords_path))
    lines = text.split("\n")
    start = max(0, len(lines) - lookback)
    for index in range(start, len(lines)):
        if footer_keyword_share(lines[index], keywords) > min_share:
            return "\n".join(lines[:index]), len(lines) - index
    return text, 0


# --------------------------------------------------------------------------------------------
# URL-only and symbol-only lines
# --------------------------------------------------------------------------------------------

_URL = r"(?:https?|ftp)://[^\s<>\"]+|www\.[^\s<>\"]+"
_URL_ONLY_LINE = re.compile(rf"^[ \t\u3000]*(?:(?:{_URL})[ \t\u3000]*)+$")


def _remove_lines(text: str, predicate) -> tuple[str, int]:
    lines = text.split("\n")
    kept = [line for line in lines if not predicate(line)]
    removed = len(lines) - len(kept)
    return ("\n".join(kept), removed) if removed else (text, 0)


def is_url_only_line(line: str) -> bool:
    return bool(line) and _URL_ONLY_LINE.match(line) is not None


def is_symbol_only_line(line: str) -> bool:
    """A non-blank line whose characters are all punctuation, symbols (incl. emoji) or spaces."""
    stripped = line.strip()
    if not stripped:
        return False
    return all(unicodedata.category(ch)[0] in "PSZC" for ch in stripped)


def remove_url_only_lines(text: str) -> tuple[str, int]:
    """Drop lines made only of URLs; the count is the number of lines dropped."""
    if "://" not in text and "www." not in text:
        return text, 0
    return _remove_lines(text, is_url_only_line)


def remove_symbol_only_lines(text: str) -> tuple[str, int]:
    """Drop lines made only of punctuation/symbols (blank lines stay); count = lines dropped."""
    return _remove_lines(text, is_symbol_only_line)


# --------------------------------------------------------------------------------------------
# LLM-jp kana lines, NFKC
# --------------------------------------------------------------------------------------------

# Script properties, as LLM-jp's pattern: ・ ゛ ｰ are script Common and do not make a kana line;
# ㋐ ㌀ ㇰ are Katakana and do.  The stdlib ``re`` has no script classes, hence ``regex``.
_KANA_LINE = regex.compile(r"[\p{Script=Hiragana}\p{Script=Katakana}ー]")
_INLINE_URL = re.compile(r"https?://[\w/:%#$&?()~.=+\-]+")
_LONG_ASCII = re.compile(r"[\x00-\x7f]{100,}")


def keep_kana_lines(text: str) -> tuple[str, int]:
    """LLM-jp's Japanese-line extraction; count = lines dropped + spans deleted inside lines."""
    changed = 0
    kept: list[str] = []
    for line in text.split("\n"):
        if not _KANA_LINE.search(line):
            changed += 1
            continue
        line, n_urls = _INLINE_URL.subn("", line)
        line, n_ascii = _LONG_ASCII.subn("", line)
        changed += n_urls + n_ascii
        kept.append(line)
    return ("\n".join(kept), changed) if changed else (text, 0)


def nfkc(text: str) -> tuple[str, int]:
    """Unicode NFKC; the count is the number of characters whose NFKC form differs."""
    if unicodedata.is_normalized("NFKC", text):
        return text, 0
    changed = sum(n for ch, n in Counter(text).items() if unicodedata.normalize("NFKC", ch) != ch)
    return unicodedata.normalize("NFKC", text), changed
