"""Pages that are not articles whatever their namespace: redirects and disambiguation pages, recognised on
the raw wikitext so they are never parsed."""

from __future__ import annotations

import re

__all__ = ["is_redirect_text", "is_disambiguation"]

_REDIRECT_RE = re.compile(r"^\s*#\s*(redirect|転送|リダイレクト|重定向|넘겨주기)", re.I)
_DISAMBIG_EXACT = frozenset(
    s.casefold()
    for s in (
        "aimai",
        "disambig",
        "disambiguation",
        "dab",
        "disamb",
        "dp",
        "hndis",
        "geodis",
        "set index article",
        "disambig-cleanup",
        "消歧义",
        "消歧義",
        "disambig gl",
        "동음이의",
        "동음이의어",
        "동음이의어 문서",
    )
)
_DISAMBIG_PARTS = ("曖昧さ回避", "消歧义", "消歧義", "동음이의", "disambiguation")
_TEMPLATE_NAME = re.compile(r"\{\{\s*([^{}|\n]{1,80}?)\s*(?:\||\}\})")


def is_redirect_text(wikitext: str) -> bool:
    """True when the text opens with a redirect magic word (some dumps omit the ``<redirect/>`` element)."""
    return _REDIRECT_RE.match(wikitext) is not None


def is_disambiguation(wikitext: str) -> bool:
    """True when the page uses a disambiguation template (or the ``__DISAMBIG__`` magic word).

    Works on the raw wikitext (a regex over template names), so disambiguation pages are never parsed.
    """
    if "__DISAMBIG__" in wikitext:
        return True
    for m in _TEMPLATE_NAME.finditer(wikitext):
        name = m.group(1).strip().replace("_", " ").casefold()
        if name in _DISAMBIG_EXACT or any(part in name for part in _DISAMBIG_PARTS):
            return True
    return False
