"""Registry of text modifiers a preset or the ``clean`` stage can name: ``text -> (text, count)``."""

from __future__ import annotations

from collections.abc import Callable

from corpus_builder.quality.clean import (
    keep_kana_lines,
    nfkc,
    normalize_kutoten,
    remove_symbol_only_lines,
    remove_url_only_lines,
    trim_footer,
)

Modifier = Callable[[str], tuple[str, int]]

MODIFIERS: dict[str, Modifier] = {
    "nfkc": nfkc,
    "kutoten": normalize_kutoten,
    "footer": trim_footer,
    "url_only_lines": remove_url_only_lines,
    "symbol_only_lines": remove_symbol_only_lines,
    "kana_lines": keep_kana_lines,
}
