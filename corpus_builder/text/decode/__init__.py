"""Turn raw HTML/XML bytes from a crawl into text, choosing the charset the way a careful browser would
(import from the module that defines a name; this package exports nothing itself).

Modules by job: ``chain`` (``decode_html``, the decision chain), ``page`` (``DecodedPage`` and the decode
primitives), ``labels`` (``normalize_charset``: charset labels → Python codecs), ``families`` (CJK, Unicode
and sibling codecs), ``sniff`` (byte-level evidence: BOMs, BOM-less UTF-16/32, ISO-2022 escapes, declared
charsets, damaged UTF-8) and ``detection`` (the cchardet verdict and its second opinions).

The decision order is BOM, valid UTF-8, declared charset (HTTP, then in-document), statistical
detection, UTF-8 fallback. Every step is bounded so the function can run on every Common Crawl
record: the expensive part (the cchardet detector) only runs when the cheap evidence is missing or
suspicious, and then only on a bounded window.
"""
