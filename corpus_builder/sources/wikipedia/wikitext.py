"""Wikitext → plain text with mwparserfromhell: templates, ``<ref>``, tables, files/images, categories,
interlanguage links, comments and math are dropped; link text is kept, and so is the text of the templates
in :mod:`corpus_builder.sources.wikipedia.templates`; the text is cut at the first back-matter heading."""

from __future__ import annotations

import re
from collections.abc import Iterable

from corpus_builder.sources.wikipedia.preclean import preclean_wikitext
from corpus_builder.sources.wikipedia.templates import template_text
from corpus_builder.sources.wikipedia.tidy import tidy
from corpus_builder.sources.wikipedia.vocabulary import DROP_LINK_NS, DROP_TAGS, STOP_SECTIONS

__all__ = ["wikitext_to_text"]

_LANG_PREFIX = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})*$")


def _is_file_or_category(title: str, drop_ns: frozenset[str]) -> bool:
    prefix, sep, _ = title.partition(":")
    if not sep:
        return False
    p = prefix.strip().casefold()
    return p in drop_ns or p in DROP_LINK_NS


def _is_interlanguage(title: str) -> bool:
    prefix, sep, rest = title.partition(":")
    return bool(sep) and bool(rest) and bool(_LANG_PREFIX.match(prefix.strip().lower()))


class _Renderer:
    """Renders parsed wikicode to text, node by node; what each node kind keeps is in its method."""

    def __init__(self, nodes, drop_ns: frozenset[str], keep_headings: bool) -> None:
        self.nodes = nodes  # mwparserfromhell.nodes, imported by the caller only when text is converted
        self.drop_ns = drop_ns
        self.keep_headings = keep_headings

    def render(self, wc) -> str:
        nodes = self.nodes
        out: list[str] = []
        for node in wc.nodes:
            if isinstance(node, nodes.Text):
                out.append(node.value)
            elif isinstance(node, nodes.Wikilink):
                out.append(self._wikilink(node))
            elif isinstance(node, nodes.ExternalLink):
                if node.title is not None:
                    out.append(self.render(node.title))
            elif isinstance(node, nodes.Template):
                out.append(template_text(node, self.render))
            elif isinstance(node, nodes.Tag):
                out.append(self._tag(node))
            elif isinstance(node, nodes.HTMLEntity):
                out.append(node.normalize())
            elif isinstance(node, nodes.Heading):
                title = self.render(node.title).strip()
                out.append(f"\n{title}\n" if self.keep_headings and title else "\n")
            # Comment, Argument and anything else: dropped
        return "".join(out)

    def _wikilink(self, node) -> str:
        title = self.render(node.title).strip()
        if title.startswith(":"):
            visible = title[1:]
        elif _is_file_or_category(title, self.drop_ns) or _is_interlanguage(title):
            return ""
        else:
            visible = title
        if node.text is not None:
            return self.render(node.text)
        return visible.split("#", 1)[0] if not visible.startswith("#") else visible[1:]

    def _tag(self, node) -> str:
        tag = str(node.tag).strip().lower()
        if tag in DROP_TAGS:
            return ""
        if tag == "br":
            return "\n"
        if tag in ("li", "dt", "dd", "hr"):
            return ""  # list markers: the item text follows as Text nodes
        if node.contents is not None:
            return self.render(node.contents)
        return ""


def wikitext_to_text(
    wikitext: str | object,
    *,
    stop_sections: Iterable[str] = STOP_SECTIONS,
    keep_headings: bool = True,
    extra_drop_ns: Iterable[str] = (),
) -> str:
    """Plain text of a wikitext page (see the module docstring for what is dropped and kept)."""
    import mwparserfromhell
    from mwparserfromhell import nodes

    stops = frozenset(s.casefold() for s in stop_sections)
    drop_ns = frozenset(s.casefold() for s in extra_drop_ns)
    if isinstance(wikitext, str):
        code = mwparserfromhell.parse(preclean_wikitext(wikitext, stops, drop_ns))
    else:
        code = wikitext
    renderer = _Renderer(nodes, drop_ns, keep_headings)

    # cut at the first back-matter heading, wherever it is
    top = code.nodes
    cut = len(top)
    for i, node in enumerate(top):
        if (
            isinstance(node, nodes.Heading)
            and renderer.render(node.title).strip().strip("=").strip().casefold() in stops
        ):
            cut = i
            break
    if cut < len(top):
        code = mwparserfromhell.wikicode.Wikicode(top[:cut])
    return tidy(renderer.render(code))
