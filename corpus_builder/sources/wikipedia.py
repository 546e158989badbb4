"""Wikipedia readers: MediaWiki XML dumps (streamed) and the HF ``wikimedia/wikipedia`` Parquet layout.

``iter_wikipedia(path)`` reads a ``*-pages-articles*.xml`` dump, plain or compressed (bz2, xz, gzip, zstd;
detected by magic bytes), page by page with ``xml.etree.ElementTree.iterparse``; each finished ``<page>`` is
cleared from the tree, so memory stays flat on a 4 GB dump.  For parallel work use the multistream split
files (``pages-articles1.xml-p1p114794.bz2`` ...): one task per file.

Policy:

* only namespace 0 (articles) by default (``namespaces=``);
* redirects (a ``<redirect/>`` element, or text starting with ``#REDIRECT``/``#転送``/``#重定向``/
  ``#넘겨주기``)
  and disambiguation pages (a template whose name contains 曖昧さ回避 / 消歧义 / 동음이의, or is one of
  ``disambig``, ``dab``, ``aimai`` ..., or the ``__DISAMBIG__`` magic word) are skipped, as are pages whose
  text is empty after cleaning; skipped pages are counted in ``stats`` when a dict is passed;
* the text is cut at the first heading among the "back matter" sections (脚注, 関連項目, 出典, 参考文献,
  外部リンク, 注釈, References, See also, ...; see ``STOP_SECTIONS``), whatever its level;
* wikitext → plain text with mwparserfromhell (:func:`wikitext_to_text`): templates, ``<ref>``, tables,
  files/images, categories, interlanguage links, comments and math are dropped; link text is kept; a few
  templates that stand for running text keep their text (``{{lang|en|text}}``, ``{{仮リンク|表示|en|...}}``,
  ``{{ruby|漢字|かな}}`` ...; see ``_TEXT_TEMPLATES``); brackets left empty are removed;
* a dump that ends early (truncated download, ``head -n`` cut) yields every page that was complete and then
  one :class:`SourceError` naming the truncation; a page whose wikitext cannot be converted is one error.

Provenance: ``id`` = ``<dbname>:<page id>`` (e.g. ``jawiki:1234``), ``record_id`` = page id, ``offset`` = the
page's running index in the file (0-based, counting every ``<page>`` element), ``date`` = the revision
timestamp, ``url`` = ``https://<host>/wiki/<title>``, ``extra`` = title, namespace, revision_id, dbname.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO
from urllib.parse import quote, urlsplit

from corpus_builder.sources.documents import SourceDocument, SourceError, open_decompressed, open_raw

__all__ = [
    "iter_wikipedia",
    "iter_wikipedia_parquet",
    "wikitext_to_text",
    "STOP_SECTIONS",
    "is_disambiguation",
]

# Section titles after which an article is only back matter.  Matched after stripping and case folding.
STOP_SECTIONS: frozenset[str] = frozenset(
    s.casefold()
    for s in (
        # ja
        "脚注",
        "関連項目",
        "出典",
        "参考文献",
        "外部リンク",
        "注釈",
        "注記",
        "注",
        "脚注・出典",
        "出典・脚注",
        "参考資料",
        "関連書籍",
        "関連文献",
        "外部サイト",
        # en
        "References",
        "See also",
        "External links",
        "Notes",
        "Further reading",
        "Footnotes",
        "Bibliography",
        "Sources",
        "Citations",
        "Notes and references",
        # zh (simplified / traditional)
        "参考文献",
        "参见",
        "参見",
        "參見",
        "参考资料",
        "參考資料",
        "外部链接",
        "外部連結",
        "外部鏈接",
        "注释",
        "註釋",
        "脚注",
        "腳註",
        "延伸阅读",
        "延伸閱讀",
        "相关条目",
        "相關條目",
        # ko
        "각주",
        "같이 보기",
        "외부 링크",
        "참고 문헌",
        "참고문헌",
        "주석",
        "각주 및 참고 문헌",
        "더 읽을거리",
    )
)

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

# Namespaces whose links are not running text (files, categories).  Names from the dump's siteinfo
# (ns 6, 14, -2) are added per file.
_DROP_LINK_NS = frozenset(
    s.casefold()
    for s in (
        "file",
        "image",
        "media",
        "category",
        "ファイル",
        "画像",
        "メディア",
        "カテゴリ",
        "カテゴリー",
        "文件",
        "檔案",
        "档案",
        "图像",
        "圖像",
        "媒体",
        "媒體",
        "分类",
        "分類",
        "파일",
        "그림",
        "미디어",
        "분류",
        "datei",
        "bild",
        "kategorie",
        "fichier",
        "catégorie",
    )
)
_LANG_PREFIX = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})*$")

# template name (case-folded) -> how its text is kept: the index of the positional parameter (1-based),
# or a callable(template) -> str.
_DROP_TAGS = frozenset(
    {
        "ref",
        "references",
        "table",
        "gallery",
        "math",
        "chem",
        "ce",
        "score",
        "timeline",
        "imagemap",
        "graph",
        "mapframe",
        "maplink",
        "templatedata",
        "templatestyles",
        "syntaxhighlight",
        "source",
        "hiero",
        "inputbox",
        "categorytree",
        "charinsert",
        "noinclude",
        "includeonly",
        "indicator",
        "section",
        "style",
        "script",
    }
)
_MAGIC_WORD = re.compile(r"__[A-ZＡ-Ｚ]+__")
_EMPTY_BRACKETS = re.compile(r"[（(][\s、,，;；:：・/／]*[)）]|「[\s、,，]*」|『[\s、,，]*』|\[\s*\]")
_SPACE_BEFORE_PUNCT_JA = re.compile(r"[ \t]+([、。，．）」』])")
_MULTI_BLANK = re.compile(r"\n{3,}")
_TRAILING_SPACE = re.compile(r"[ \t\u3000]+\n")
# a line of an unparsed table, template or heading is never running text
_RESIDUE_LINE = re.compile(r"^\s*(\{\||\||!|\{\{|\}\}|<[a-z/]|=+.*=+\s*$)")


def _param(tpl, index: int) -> str | None:
    key = str(index)
    if tpl.has(key):
        return tpl.get(key).value
    return None


def _text_templates() -> dict[str, Callable]:
    def pos(i: int) -> Callable:
        return lambda t: _param(t, i)

    table: dict[str, Callable] = {}
    for name in ("lang", "langwithname", "lang-x", "lj", "llang"):
        table[name] = pos(2)
    for name in (
        "仮リンク",
        "ill",
        "interlanguage link",
        "interlanguage link multi",
        "link-interwiki",
        "illm",
        "ruby",
        "ruby-ja",
        "ルビ",
        "nowrap",
        "nobr",
        "small",
        "smaller",
        "big",
        "large",
        "en",
        "ja",
        "要出典範囲",
        "独自研究範囲",
        "疑問点範囲",
        "要検証範囲",
        "lang-ja",
        "nihongo",
        "nihongo2",
        "ubl",
        "小文字",
        "補助漢字フォント",
        "jis2004フォント",
        "color",
        "font",
        "resize",
        "sic",
        "visible anchor",
        "読み仮名",
        "読み仮名_ruby不使用",
        "僅少",
        "zh",
        "ko",
        "linktext",
        "交通",
        "un",
        "abbr",
        "w",
    ):
        table[name] = pos(1)
    table["color"] = pos(2)
    table["font color"] = pos(2)
    # 要出典範囲 etc. often pass the covered text as a named parameter too
    # Keys as _template_text looks them up: MediaWiki treats "_" and " " in names alike.
    return {name.replace("_", " ").casefold(): fn for name, fn in table.items()}


_TEXT_TEMPLATE_FNS = _text_templates()


def _template_text(tpl, render) -> str:
    name = str(tpl.name).strip().replace("_", " ").casefold()
    name = name.removeprefix("template:").removeprefix("テンプレート:")
    fn = _TEXT_TEMPLATE_FNS.get(name)
    if fn is None and name.startswith("lang-") and len(name) <= 12:  # {{lang-en|text}}
        fn = _TEXT_TEMPLATE_FNS["nowrap"]
    if fn is None:
        return ""
    value = fn(tpl)
    if (
        value is None
        and tpl.has("1") is False
        and name in ("要出典範囲", "独自研究範囲", "疑問点範囲", "要検証範囲")
    ):
        for p in tpl.params:
            if str(p.name).strip() not in ("date", "title", "talksection"):
                value = p.value
                break
    return render(value) if value is not None else ""


def _is_file_or_category(title: str, drop_ns: frozenset[str]) -> bool:
    prefix, sep, _ = title.partition(":")
    if not sep:
        return False
    p = prefix.strip().casefold()
    return p in drop_ns or p in _DROP_LINK_NS


def _is_interlanguage(title: str) -> bool:
    prefix, sep, rest = title.partition(":")
    return bool(sep) and bool(rest) and bool(_LANG_PREFIX.match(prefix.strip().lower()))


_TEMPLATE_NAME = re.compile(r"\{\{\s*([^{}|\n]{1,80}?)\s*(?:\||\}\})")


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


_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.S)
_REF_SELF = re.compile(r"<ref\b[^>]*/\s*>", re.I)
_REF_PAIR = re.compile(r"<ref\b[^>]*(?<!/)>.*?</ref\s*>", re.I | re.S)
_REFERENCES = re.compile(r"<references\b[^>]*>.*?</references\s*>", re.I | re.S)
_HEADING_LINE = re.compile(r"^(=+)[ \t]*(.+?)[ \t]*\1[ \t]*$", re.M)


_BRACKET_TOKEN = re.compile(r"\{\{|\}\}|\[\[|\]\]")
_TPL_NAME_AT = re.compile(r"\{\{\s*([^{}|\n]*)")
_LINK_PREFIX_AT = re.compile(r"\[\[\s*([^\[\]|:\n]*):")


def _template_name(raw: str) -> str:
    name = raw.strip().replace("_", " ").casefold()
    return name.removeprefix("template:").removeprefix("テンプレート:")


def _keeps_text(name: str) -> bool:
    return name in _TEXT_TEMPLATE_FNS or (name.startswith("lang-") and len(name) <= 12)


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
            drop = False
            if not dropping:
                if tok == "{{":
                    nm = _TPL_NAME_AT.match(text, pos)
                    drop = not _keeps_text(_template_name(nm.group(1) if nm else ""))
                else:
                    lm = _LINK_PREFIX_AT.match(text, pos)
                    if lm:
                        prefix = lm.group(1).strip().casefold()
                        drop = prefix in _DROP_LINK_NS or prefix in drop_ns
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

    def render(wc) -> str:
        out: list[str] = []
        for node in wc.nodes:
            if isinstance(node, nodes.Text):
                out.append(node.value)
            elif isinstance(node, nodes.Wikilink):
                title = render(node.title).strip()
                if title.startswith(":"):
                    visible = title[1:]
                elif _is_file_or_category(title, drop_ns) or _is_interlanguage(title):
                    continue
                else:
                    visible = title
                if node.text is not None:
                    out.append(render(node.text))
                else:
                    out.append(visible.split("#", 1)[0] if not visible.startswith("#") else visible[1:])
            elif isinstance(node, nodes.ExternalLink):
                if node.title is not None:
                    out.append(render(node.title))
            elif isinstance(node, nodes.Template):
                out.append(_template_text(node, render))
            elif isinstance(node, nodes.Tag):
                tag = str(node.tag).strip().lower()
                if tag in _DROP_TAGS:
                    continue
                if tag == "br":
                    out.append("\n")
                elif tag in ("li", "dt", "dd", "hr"):
                    continue  # list markers: the item text follows as Text nodes
                elif node.contents is not None:
                    out.append(render(node.contents))
            elif isinstance(node, nodes.HTMLEntity):
                out.append(node.normalize())
            elif isinstance(node, nodes.Heading):
                title = render(node.title).strip()
                out.append(f"\n{title}\n" if keep_headings and title else "\n")
            # Comment, Argument and anything else: dropped
        return "".join(out)

    # cut at the first back-matter heading, wherever it is
    top = code.nodes
    cut = len(top)
    for i, node in enumerate(top):
        if (
            isinstance(node, nodes.Heading)
            and render(node.title).strip().strip("=").strip().casefold() in stops
        ):
            cut = i
            break
    if cut < len(top):
        code = mwparserfromhell.wikicode.Wikicode(top[:cut])
    text = render(code)
    return _tidy(text)


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
            depth, k = 0, j
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
            if depth == 0:
                i = k
            else:
                eol = text.find("\n", j)
                i = n if eol < 0 else eol
        text = "".join(out)
    return text.replace("}}", "").replace("[[", "").replace("]]", "")


def _tidy(text: str) -> str:
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


# ---------------------------------------------------------------------------------------------------------
# XML dump reader
# ---------------------------------------------------------------------------------------------------------


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child_text(elem: ET.Element, name: str) -> str | None:
    for child in elem:
        if _local(child.tag) == name:
            return child.text
    return None


def _child(elem: ET.Element, name: str) -> ET.Element | None:
    for child in elem:
        if _local(child.tag) == name:
            return child
    return None


def _page_url(base: str | None, title: str) -> str | None:
    if not base:
        return None
    parts = urlsplit(base)
    if not parts.scheme or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}/wiki/{quote(title.replace(' ', '_'), safe='/:()_,-.~!*')}"


@dataclass
class _Dump:
    """What the dump says about itself (root `xml:lang`, `<siteinfo>`), filled in as it is read."""

    path: str
    lang_hint: str | None
    dbname: str | None = None
    base: str | None = None
    drop_ns: set[str] = field(default_factory=set)  # localised File:/Category:/Media: prefixes


@dataclass(frozen=True)
class _PageRules:
    """Which pages become documents, and how their text is cut (iter_wikipedia's options)."""

    namespaces: frozenset[str]
    keep_headings: bool
    skip_disambiguation: bool
    stop_sections: Iterable[str]
    min_chars: int


@dataclass
class _Progress:
    """How far a dump was read, for the error that ends it early."""

    page_index: int = -1
    last_id: str | None = None


def iter_wikipedia(
    path: str,
    *,
    namespaces: Iterable[int] = (0,),
    lang: str | None = None,
    keep_headings: bool = True,
    skip_disambiguation: bool = True,
    stop_sections: Iterable[str] = STOP_SECTIONS,
    min_chars: int = 1,
    open_fn: Callable[[str], BinaryIO] | None = None,
    stats: dict[str, int] | None = None,
) -> Iterator[SourceDocument | SourceError]:
    """Yield one document per article of a MediaWiki XML dump (see the module docstring).

    ``lang`` overrides the language hint (default: the dump's ``xml:lang``, else the dbname prefix).
    ``stats`` (optional dict) receives counts: pages, articles, redirects, disambiguation, other_namespace,
    empty, errors.
    """
    counts = stats if stats is not None else {}
    for key in ("pages", "articles", "redirects", "disambiguation", "other_namespace", "empty", "errors"):
        counts.setdefault(key, 0)
    rules = _PageRules(
        frozenset(str(n) for n in namespaces), keep_headings, skip_disambiguation, stop_sections, min_chars
    )
    stream = open_decompressed(path, open_fn)
    dump = _Dump(path, lang_hint=lang)
    progress = _Progress()
    try:
        try:
            yield from _dump_items(stream, dump, rules, counts, progress)
        except ET.ParseError as e:
            counts["errors"] += 1
            yield SourceError(
                path,
                progress.page_index + 1,
                None,
                f"XML dump ends early or is malformed after {progress.page_index + 1} pages"
                f" (last complete page id {progress.last_id}): {e}",
            )
    except (EOFError, OSError, zlib.error, ValueError) as e:
        counts["errors"] += 1
        yield _stream_error(path, progress, e)
    finally:
        stream.close()


def _dump_items(
    stream: BinaryIO, dump: _Dump, rules: _PageRules, counts: dict[str, int], progress: _Progress
) -> Iterator[SourceDocument | SourceError]:
    """Documents and page errors of the dump's pages in order; XML and stream errors propagate."""
    root: ET.Element | None = None
    for event, elem in ET.iterparse(stream, events=("start", "end")):
        tag = _local(elem.tag)
        if event == "start":
            if root is None:
                root = elem
                if dump.lang_hint is None:
                    dump.lang_hint = elem.get("{http://www.w3.org/XML/1998/namespace}lang")
            continue
        if tag == "siteinfo":
            _read_siteinfo(elem, dump)
            if root is not None:
                root.clear()
            continue
        if tag != "page":
            continue
        progress.page_index += 1
        counts["pages"] += 1
        try:
            item = _page(elem, progress.page_index, dump, rules, counts)
        finally:
            progress.last_id = _child_text(elem, "id") or progress.last_id
            if root is not None:
                root.clear()  # drop the finished page (and anything before it) from the tree
        if item is not None:
            if isinstance(item, SourceError):
                counts["errors"] += 1
            yield item


def _read_siteinfo(elem: ET.Element, dump: _Dump) -> None:
    """Fill ``dump`` from ``<siteinfo>``: dbname, base URL, the localised namespaces whose links are dropped
    (File, Category, Media) and, when the root had no ``xml:lang``, the language from the dbname."""
    dump.dbname = dbname = _child_text(elem, "dbname")
    dump.base = _child_text(elem, "base")
    nss = _child(elem, "namespaces")
    if nss is not None:
        for ns in nss:
            if ns.get("key") in ("6", "14", "-2") and ns.text:
                dump.drop_ns.add(ns.text.strip().casefold())
    if dump.lang_hint is None and dbname and dbname.endswith("wiki"):
        dump.lang_hint = dbname[: -len("wiki")].replace("_", "-") or None


def _stream_error(path: str, progress: _Progress, e: Exception) -> SourceError:
    """The error for a compressed stream that ends early or is damaged, with how far the dump was read."""
    import lzma

    kind = "compressed stream ends early" if isinstance(e, EOFError) else "compressed stream is damaged"
    if isinstance(e, lzma.LZMAError):
        kind = "xz stream is damaged"
    return SourceError(
        path,
        progress.page_index + 1,
        None,
        f"{kind} after {progress.page_index + 1} pages (last complete page id {progress.last_id}): {e}",
    )


def _page(
    elem: ET.Element, index: int, dump: _Dump, rules: _PageRules, counts: dict[str, int]
) -> SourceDocument | SourceError | None:
    path, lang_hint = dump.path, dump.lang_hint
    title = _child_text(elem, "title") or ""
    ns = (_child_text(elem, "ns") or "0").strip()
    page_id = (_child_text(elem, "id") or "").strip()
    if ns not in rules.namespaces:
        counts["other_namespace"] += 1
        return None
    if _child(elem, "redirect") is not None:
        counts["redirects"] += 1
        return None
    rev = _child(elem, "revision")
    if rev is None:
        return SourceError(path, index, page_id or None, f"page {title!r} has no revision")
    wikitext = _child_text(rev, "text") or ""
    if _REDIRECT_RE.match(wikitext):
        counts["redirects"] += 1
        return None
    if rules.skip_disambiguation and is_disambiguation(wikitext):
        counts["disambiguation"] += 1
        return None
    try:
        text = wikitext_to_text(
            wikitext,
            stop_sections=rules.stop_sections,
            keep_headings=rules.keep_headings,
            extra_drop_ns=dump.drop_ns,
        )
    except Exception as e:  # mwparserfromhell bugs on pathological markup: one page, not the file
        return SourceError(
            path, index, page_id or None, f"wikitext conversion failed for {title!r}: {type(e).__name__}: {e}"
        )
    if len(text) < rules.min_chars:
        counts["empty"] += 1
        return None
    counts["articles"] += 1
    rev_id = (_child_text(rev, "id") or "").strip()
    db = dump.dbname or (f"{lang_hint}wiki" if lang_hint else "wiki")
    return SourceDocument(
        id=f"{db}:{page_id}",
        text=text,
        url=_page_url(dump.base, title),
        source_path=path,
        record_id=page_id or None,
        offset=index,
        date=(_child_text(rev, "timestamp") or None),
        lang_hint=lang_hint,
        extra={"title": title, "namespace": ns, "revision_id": rev_id, "dbname": db},
    )


# ---------------------------------------------------------------------------------------------------------
# Hugging Face wikimedia/wikipedia Parquet
# ---------------------------------------------------------------------------------------------------------

_HF_LANG_DIR = re.compile(r"(?:^|/)\d{8}\.([a-z][a-z0-9-]*)(?:/|$)")


def iter_wikipedia_parquet(
    path: str,
    *,
    lang: str | None = None,
    batch_size: int = 1024,
    open_fn: Callable[[str], BinaryIO] | None = None,
) -> Iterator[SourceDocument | SourceError]:
    """Yield documents from a ``wikimedia/wikipedia`` Parquet shard (``id``, ``url``, ``title``, ``text``).

    The text there is already plain (converted upstream), so it is passed through.  ``lang`` defaults to the
    language of the dataset's ``<date>.<lang>/`` directory when the path has one.  ``offset`` is the row
    index in the file.  A row without text or id is an error; the others go on.
    """
    import pyarrow.parquet as pq

    if lang is None:
        m = _HF_LANG_DIR.search(path)
        lang = m.group(1) if m else None
    f = (open_fn or open_raw)(path)
    try:
        pf = pq.ParquetFile(f)
        names = set(pf.schema_arrow.names)
        missing = {"id", "text"} - names
        if missing:
            raise ValueError(
                f"{path}: not a wikimedia/wikipedia Parquet file (missing columns {sorted(missing)})"
            )
        cols = [c for c in ("id", "url", "title", "text") if c in names]
        row = 0
        db = f"{lang}wiki" if lang else "wiki"
        for batch in pf.iter_batches(batch_size=batch_size, columns=cols):
            data = batch.to_pydict()
            for i in range(batch.num_rows):
                pid, text = data["id"][i], data["text"][i]
                title = data["title"][i] if "title" in data else None
                if pid is None or text is None:
                    yield SourceError(path, row, None if pid is None else str(pid), "row without id or text")
                elif text.strip():
                    yield SourceDocument(
                        id=f"{db}:{pid}",
                        text=text,
                        url=data["url"][i] if "url" in data else None,
                        source_path=path,
                        record_id=str(pid),
                        offset=row,
                        date=None,
                        lang_hint=lang,
                        extra={"title": title or "", "dbname": db},
                    )
                row += 1
    finally:
        f.close()
