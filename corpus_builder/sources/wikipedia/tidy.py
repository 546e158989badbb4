"""Clean-up of rendered wikitext: markup the parser left as text (template residue, table rows, bold and
italic quotes, magic words), brackets left empty, and spacing."""

from __future__ import annotations

import re

__all__ = ["tidy"]

_MAGIC_WORD = re.compile(r"__[A-ZＡ-Ｚ]+__")
_EMPTY_BRACKETS = re.compile(r"[（(][\s、,，;；:：・/／]*[)）]|「[\s、,，]*」|『[\s、,，]*』|\[\s*\]")
_SPACE_BEFORE_PUNCT_JA = re.compile(r"[ \t]+([、。，．）」』])")
_MULTI_BLANK = re.compile(r"\n{3,}")
_TRAILING_SPACE = re.compile(r"[ \t\u3000]+\n")
# a line of an unparsed table, template or heading is never running text
_RESIDUE_LINE = re.compile(r"^\s*(\{\||\||!|\{\{|\}\}|<[a-z/]|=+.*=+\s*$)")


def _balanced_span_end(text: str, start: int) -> int | None:
    """End of the balanced ``{{ ... }}`` opening at ``start``, or None when it never closes."""
    n = len(text)
    depth, k = 0, start
    while k < n - 1:
        pair = text[k : k + 2]
        if pair == "{{":
            depth += 1
            k += 2
        elif pair == "}}":
            depth -= 1
            k += 2
            if depth == 0:
                break
        else:
            k += 1
    return k if depth == 0 else None


def _strip_template_residue(text: str) -> str:
    """Remove ``{{ ... }}`` the parser left as text (e.g. multi-line parser functions it could not close).

    A balanced span is removed whole; an unclosed ``{{`` is removed to the end of its line; stray ``}}``
    and wiki-link brackets are removed (the text between link brackets is kept).
    """
    if "{{" in text:
        out: list[str] = []
        i = 0
        n = len(text)
        while i < n:
            j = text.find("{{", i)
            if j < 0:
                out.append(text[i:])
                break
            out.append(text[i:j])
            end = _balanced_span_end(text, j)
            if end is not None:
                i = end
            else:
                eol = text.find("\n", j)
                i = n if eol < 0 else eol
        text = "".join(out)
    return text.replace("}}", "").replace("[[", "").replace("]]", "")


def tidy(text: str) -> str:
    """The rendered text with parser residue, empty brackets and extra blank lines removed."""
    text = _MAGIC_WORD.sub("", text)
    text = _strip_template_residue(text)
    text = text.replace("'''", "").replace("''", "")
    lines = []
    for line in text.split("\n"):
        if _RESIDUE_LINE.match(line):  # an unparsed table or template row: never running text
            continue
        if line.startswith("=="):  # an unbalanced heading the parser left as text
            line = line.strip("= \t")
        lines.append(line.strip(" \t"))
    text = "\n".join(lines)
    prev = None
    while prev != text:
        prev = text
        text = _EMPTY_BRACKETS.sub("", text)
    text = _SPACE_BEFORE_PUNCT_JA.sub(r"\1", text)
    text = _TRAILING_SPACE.sub("\n", text + "\n")
    text = _MULTI_BLANK.sub("\n\n", text)
    # lines that are left with only punctuation (e.g. a list item that was all templates)
    text = "\n".join(ln for ln in text.split("\n") if not ln or any(ch.isalnum() for ch in ln))
    text = _MULTI_BLANK.sub("\n\n", text)
    return text.strip()
