"""Cheap wikitext clean-up before parsing: comments, references, back matter, and (by bracket matching) the
templates and file/category links that are not running text."""

from __future__ import annotations

import re

from corpus_builder.sources.wikipedia.templates import keeps_text, template_name
from corpus_builder.sources.wikipedia.vocabulary import DROP_LINK_NS

__all__ = ["strip_spans", "preclean_wikitext"]

_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.S)
_REF_SELF = re.compile(r"<ref\b[^>]*/\s*>", re.I)
_REF_PAIR = re.compile(r"<ref\b[^>]*(?<!/)>.*?</ref\s*>", re.I | re.S)
_REFERENCES = re.compile(r"<references\b[^>]*>.*?</references\s*>", re.I | re.S)
_HEADING_LINE = re.compile(r"^(=+)[ \t]*(.+?)[ \t]*\1[ \t]*$", re.M)

_BRACKET_TOKEN = re.compile(r"\{\{|\}\}|\[\[|\]\]")
_TPL_NAME_AT = re.compile(r"\{\{\s*([^{}|\n]*)")
_LINK_PREFIX_AT = re.compile(r"\[\[\s*([^\[\]|:\n]*):")


def _drops_span(text: str, pos: int, tok: str, drop_ns: frozenset[str]) -> bool:
    """Whether the ``{{`` or ``[[`` at ``pos`` opens a span that is not running text."""
    if tok == "{{":
        nm = _TPL_NAME_AT.match(text, pos)
        return not keeps_text(template_name(nm.group(1) if nm else ""))
    lm = _LINK_PREFIX_AT.match(text, pos)
    if lm:
        prefix = lm.group(1).strip().casefold()
        return prefix in DROP_LINK_NS or prefix in drop_ns
    return False


def strip_spans(text: str, drop_ns: frozenset[str] = frozenset()) -> str:
    """Remove, by bracket matching, every ``{{template}}`` that does not stand for running text and every
    ``[[File:...]]``/``[[Category:...]]`` link, nested content included.

    mwparserfromhell gives up on some large or slightly broken templates (infoboxes with an unclosed tag,
    multi-line parser functions) and then leaves their whole body as text; matching brackets first does not
    depend on the inside being well formed.  Unclosed brackets are left for the parser.
    """
    if "{{" not in text and "[[" not in text:
        return text
    stack: list[tuple[str, int, bool]] = []  # (opener, start, drop)
    dropping = 0  # how many dropping spans are open
    cuts: list[tuple[int, int]] = []
    for m in _BRACKET_TOKEN.finditer(text):
        tok, pos = m.group(), m.start()
        if tok == "{{" or tok == "[[":
            # inside a dropped span everything goes anyway: no need to look at names
            drop = not dropping and _drops_span(text, pos, tok, drop_ns)
            stack.append((tok, pos, drop))
            dropping += drop
        else:
            want = "{{" if tok == "}}" else "[["
            if not stack or stack[-1][0] != want:
                continue  # stray closer: leave it to the parser and the final tidy
            _, start, drop = stack.pop()
            if drop:
                dropping -= 1
                if not dropping:
                    cuts.append((start, m.end()))
    if not cuts:
        return text
    out, last = [], 0
    for start, end in cuts:
        out.append(text[last:start])
        last = end
    out.append(text[last:])
    return "".join(out)


def preclean_wikitext(wikitext: str, stops: frozenset[str], drop_ns: frozenset[str] = frozenset()) -> str:
    """Cheap work before parsing: drop comments and references, cut at the first back-matter heading,
    remove non-text templates and file/category links by bracket matching (:func:`strip_spans`).

    References (mostly citation templates), infoboxes and back matter are most of a page's markup;
    removing them first more than halves the parse time, and markup the parser would give up on (an
    infobox with an unclosed tag, a ``<!-- -->`` inside a link title) no longer leaks into the text.
    """
    text = _COMMENT.sub("", wikitext)
    text = _REFERENCES.sub("", text)
    text = _REF_SELF.sub("", text)  # first: a self-closing <ref/> must not open a pair
    text = _REF_PAIR.sub("", text)
    for m in _HEADING_LINE.finditer(text):
        title = re.sub(r"'{2,}|\[\[|\]\]", "", m.group(2)).strip().casefold()
        if title in stops:
            text = text[: m.start()]
            break
    return strip_spans(text, drop_ns)
