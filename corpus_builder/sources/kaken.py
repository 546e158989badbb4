"""KAKEN (科研費 research project database) ``grantAward`` XML reader; the files come from
:func:`corpus_builder.acquire.kaken.harvest`.

One saved response file (or any file of ``grantAward`` elements) -> one document per project,
following NII's published grantAward XML definition (KAKEN公開XML定義, linked from
https://support.nii.ac.jp/ja/kaken/api/api_outline; element names, cardinalities and optional
attributes as transcribed in github.com/hirakinii/kaken-api-client-typescript
docs/reference/research-project-response-xml-definition.yaml):

* only ``grantAward/summary[@xml:lang=lang]`` is read (a summary without ``xml:lang`` is Japanese): its
  ``title``, then the ``paragraph`` texts of its ``paragraphList`` children (optionally only the given
  ``@type`` values), each paragraph once.  ``parentAward/title`` is the parent project's title and the
  top-level ``paragraphList`` elements repeat the summary's paragraphs per report: neither is text of
  this document.
* ``@awardNumber`` is optional (0..1): the number is then the ``identifier`` of type
  ``nationalAwardNumber``, else the tail of ``@id`` (``KAKENHI-PROJECT-<number>``); ``@id`` alone is
  enough to identify a project.

Provenance: ``id`` = ``kaken:<number>`` (or ``kaken:<@id>``), ``record_id`` = the same key, ``url`` =
``https://kaken.nii.ac.jp/grant/KAKENHI-PROJECT-<number>/``, ``offset`` = index of the award in the file,
``extra`` = title, paragraph types, @id, project type, fiscal years, category, parent project title.  A
project without text in that language is skipped; a file that is not XML gives one error.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from typing import BinaryIO

from corpus_builder.sources.documents import SourceDocument, SourceError, open_decompressed

__all__ = ["iter_kaken", "award_url", "local_name"]

_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def award_url(award_number: str) -> str:
    return f"https://kaken.nii.ac.jp/grant/KAKENHI-PROJECT-{award_number}/"


def local_name(tag: str) -> str:
    """An ElementTree tag without its ``{namespace}`` (the API answers with or without namespaces)."""
    return tag.rsplit("}", 1)[-1]


def _text(el: ET.Element | None) -> str:
    return " ".join("".join(el.itertext()).split()) if el is not None else ""


def _children(el: ET.Element, name: str) -> list[ET.Element]:
    return [child for child in el if local_name(child.tag) == name]


def _child(el: ET.Element | None, name: str) -> ET.Element | None:
    return next(iter(_children(el, name)), None) if el is not None else None


def iter_kaken(
    path: str,
    *,
    lang: str = "ja",
    types: list[str] | None = None,
    open_fn: Callable[[str], BinaryIO] | None = None,
) -> Iterator[SourceDocument | SourceError]:
    """One document per ``grantAward`` of a saved KAKEN XML response (see the module docstring)."""
    f = open_decompressed(path, open_fn)
    try:
        data = f.read()
    finally:
        f.close()
    try:
        root = ET.fromstring(data)
    except ET.ParseError as e:
        yield SourceError(path, None, None, f"not a KAKEN XML response: {e}")
        return
    wanted_types = set(types) if types else None
    awards = [el for el in root.iter() if local_name(el.tag) == "grantAward"]
    for index, award in enumerate(awards):
        number = _award_number(award)
        award_id = award.get("id") or ""
        if not number and not award_id:
            yield SourceError(path, index, None, "grantAward with neither @id nor a project number")
            continue
        doc = _award(award, path, index, number, award_id, lang, wanted_types)
        if doc is not None:
            yield doc


def _award_number(award: ET.Element) -> str:
    """The project number: ``@awardNumber`` (optional in the definition), else the
    ``identifier[@type=nationalAwardNumber]``, else the tail of ``@id`` (KAKENHI-PROJECT-<number>)."""
    if award.get("awardNumber"):
        return award.get("awardNumber", "").strip()
    for identifier in _children(award, "identifier"):
        if identifier.get("type") == "nationalAwardNumber":
            value = _text(_child(identifier, "normalizedValue"))
            if value:
                return value
    award_id = award.get("id") or ""
    return award_id.removeprefix("KAKENHI-PROJECT-") if award_id.startswith("KAKENHI-PROJECT-") else ""


def _summary(award: ET.Element, lang: str) -> ET.Element | None:
    """The award's own ``summary`` in ``lang`` (a summary without ``xml:lang`` counts as Japanese,
    the definition's default language)."""
    for summary in _children(award, "summary"):
        if (summary.get(_XML_LANG) or "ja") == lang:
            return summary
    return None


def _award(
    award: ET.Element,
    path: str,
    index: int,
    number: str,
    award_id: str,
    lang: str,
    wanted_types: set[str] | None,
) -> SourceDocument | None:
    # Only the summary is read: it is the project's latest information with every submitted
    # paragraph merged in. The same paragraphs also appear as grantAward/paragraphList (one list per
    # report, pointed to by @parentId), and titles also appear under parentAward (the parent
    # project's), grantList/grant, reportList and productList (papers): reading those would repeat
    # every paragraph and could take another element's title.
    summary = _summary(award, lang)
    if summary is None:
        return None
    title = _text(_child(summary, "title"))
    paragraphs: list[tuple[str, list[str]]] = []
    seen: set[str] = set()
    for plist in _children(summary, "paragraphList"):
        kind = plist.get("type") or ""
        if wanted_types is not None and kind not in wanted_types:
            continue
        texts = []
        for paragraph in _children(plist, "paragraph"):
            text = _text(paragraph)
            if text and text not in seen:  # a paragraph merged in from two reports is kept once
                seen.add(text)
                texts.append(text)
        if texts:
            paragraphs.append((kind, texts))
    body = "\n\n".join("\n".join(ps) for _, ps in paragraphs)
    if not body:
        return None  # no text in this language (a title alone is not a document)
    text = f"{title}\n\n{body}" if title else body
    extra = {"title": title, "paragraph_types": ",".join(t for t, _ in paragraphs)}
    if award_id:
        extra["award_id"] = award_id
    if award.get("projectType"):
        extra["project_type"] = award.get("projectType", "")
    period = _child(summary, "periodOfAward")
    for element, key in (("startFiscalYear", "start_fiscal_year"), ("endFiscalYear", "end_fiscal_year")):
        year = _text(_child(period, element))
        if year:
            extra[key] = year
    category = _text(_child(summary, "category"))
    if category:
        extra["category"] = category
    parent = _child(award, "parentAward")
    parent_titles = [] if parent is None else _children(parent, "title")
    parent_title = next((t for t in parent_titles if (t.get(_XML_LANG) or "ja") == lang), None)
    if parent_title is not None:
        extra["parent_award_title"] = _text(parent_title)  # provenance only, never the document's title
    key = number or award_id
    return SourceDocument(
        id=f"kaken:{key}",
        text=text,
        url=award_url(number) if number else f"https://kaken.nii.ac.jp/grant/{award_id}/",
        source_path=path,
        record_id=key,
        offset=index,
        date=None,
        lang_hint=lang,
        extra=extra,
    )
