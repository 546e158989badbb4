"""Structural checks on HTML before a parser sees it: shapes whose parse cost is not linear in size.

Both HTML parsers behind our extractors check each new attribute of a tag against the ones before it
(libxml2 under lxml/trafilatura, lexbor under resiliparse), so a tag's parse time grows with the
square of its attribute count: a 1.7 MB `<div>` with 150,000 attributes keeps them busy for minutes,
and no signal can interrupt them. Counting attributes first turns that page into a deterministic
`too_many_attributes` drop, in time linear in the page's size (`python -m bench.hard_limit`
measures the guard on that page and on ordinary ones).

The scan is a bound, not a parser: it only looks at tags whose text between `<` and the next `<` or
`>` is long enough to hold the limit (each attribute needs a name and a separator, so >= 2 characters).
A page can hide a long tag from it (a `<` or `>` inside quoted attribute values); the extraction
worker's time limit (text/extract_process.py) is the backstop for what this misses.
"""

from __future__ import annotations

import re
from functools import lru_cache

#: An attribute's value, quoted or not, so that what remains of a tag is names separated by blanks. A
#: quoted value not closed before the scan's end holds a `<` and runs past it: it takes the rest.
_ATTRIBUTE_VALUE = re.compile(r"""=\s*(?:"[^"]*"?|'[^']*'?|[^\s>]*)""")
_NAME = re.compile(r"[^\s/>]+")
#: Elements whose content is not parsed as tags: a `<` in a script (`i<n`) starts no tag.
_RAW_TEXT = (("<script", "</script"), ("<style", "</style"), ("<textarea", "</textarea"), ("<!--", "-->"))


@lru_cache(maxsize=8)
def _long_tag(min_chars: int) -> re.Pattern[str]:
    # The scan of one match stops at the next `<` or `>`, so the whole search is linear in the page.
    return re.compile(rf"<[A-Za-z][^<>]{{{min_chars}}}")


def attribute_count(tag: str) -> int:
    """Attributes of the start tag at the head of `tag`, given from its name on (`div a="1" b>...`)."""
    names = _ATTRIBUTE_VALUE.sub(" ", tag).split(">", 1)[0]
    return max(len(_NAME.findall(names)) - 1, 0)


def _in_raw_text(html: str, position: int) -> bool:
    # Only asked about a tag already over the limit (rare), so lowering the page up to it is affordable.
    before = html[:position].lower()
    return any(before.rfind(start) > before.rfind(end) for start, end in _RAW_TEXT)


def most_attributes_over(html: str, limit: int) -> int | None:
    """The attribute count of the first tag with more than `limit` attributes, or None if none has."""
    for match in _long_tag(2 * limit).finditer(html):
        end = html.find("<", match.end())
        count = attribute_count(html[match.start() + 1 : end if end >= 0 else len(html)])
        if count > limit and not _in_raw_text(html, match.start()):
            return count
    return None
