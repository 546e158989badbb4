"""Common Crawl-sized pages for the benchmark mix.

The generated sample pages (corpus_builder.samples.generate) are small: ~2.6 KB of HTML with a few lines
of inline style and script, because tests want them light. Real crawled pages are larger and most of the
extra weight is markup that an extractor has to parse and throw away: inline scripts and styles, JSON-LD,
SVG icon sprites, consent banners. The response bodies of the real Common Crawl slice in
`shared/data/warc/commoncrawl/` have a median of ~19 KB and a mean of ~32 KB. `cc_sized` pads each
generated page with such self-written boilerplate up to a size drawn from those real sizes, so that the
per-record costs of the chains compared in `python -m bench` (extraction, decompression, detection) are
paid on pages of a realistic size. The article text, title, `lang` attribute and charset declaration are
left as they were: only markup that carries no page text is added.
"""

from __future__ import annotations

import dataclasses
import random
import statistics
from collections.abc import Callable
from pathlib import Path

from fastwarc.warc import ArchiveIterator, WarcRecordType

from corpus_builder.samples.generate import SamplePage

# Share of the padding placed before </head>; the rest goes before </body> (deferred scripts, sprites).
HEAD_SHARE = 0.4
JITTER = (0.7, 1.3)


def response_sizes(warc: Path) -> list[int]:
    """Body sizes of the HTML responses in a real WARC file."""
    sizes = []
    with warc.open("rb") as f:
        for record in ArchiveIterator(f, record_types=WarcRecordType.response, parse_http=True):
            content_type = record.http_headers.get("Content-Type", "") if record.http_headers else ""
            body = record.reader.read()
            if "html" in content_type.lower():
                sizes.append(len(body))
    return sizes


def describe(sizes: list[int]) -> str:
    return f"median {statistics.median(sizes) / 1000:.1f} KB, mean {statistics.mean(sizes) / 1000:.1f} KB"


def _identifier(rng: random.Random) -> str:
    return "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(4, 10)))


def _filled(opening: str, piece: Callable[[], str], closing: str, size: int, joiner: str = "\n") -> str:
    """`opening`, then pieces until they reach `size` characters, then `closing`."""
    parts = [opening]
    length = len(opening)
    while length < size:
        parts.append(piece())
        length += len(parts[-1])
    parts.append(closing)
    return joiner.join(parts)


def _script_function(rng: random.Random) -> str:
    name, arg, key = _identifier(rng), _identifier(rng), _identifier(rng)
    return (
        f"function {name}({arg}){{var {key}=d.querySelectorAll('.{_identifier(rng)}');"
        f"for(var i=0;i<{key}.length;i++){{{key}[i].setAttribute('data-{arg}',{rng.randrange(10**6)});}}"
        f"return w.{_identifier(rng)}&&w.{_identifier(rng)}({arg},{rng.random():.6f});}}"
    )


def _script(rng: random.Random, size: int) -> str:
    return _filled(
        "<script>(function(w,d){'use strict';",
        lambda: _script_function(rng),
        "})(window,document);</script>",
        size,
    )


def _style_rule(rng: random.Random) -> str:
    return (
        f".{_identifier(rng)}-{_identifier(rng)}{{margin:{rng.randrange(40)}px {rng.randrange(40)}px;"
        f"color:#{rng.randrange(16**6):06x};font-size:{rng.randrange(10, 30)}px;"
        f"display:{rng.choice(('flex', 'block', 'grid', 'none'))}}}"
    )


def _style(rng: random.Random, size: int) -> str:
    return _filled("<style>", lambda: _style_rule(rng), "</style>", size)


def _json_ld(rng: random.Random) -> str:
    crumbs = ",".join(
        f'{{"@type":"ListItem","position":{i + 1},"item":"https://example.org/{_identifier(rng)}/"}}'
        for i in range(rng.randint(2, 5))
    )
    return (
        '<script type="application/ld+json">{"@context":"https://schema.org","@type":"BreadcrumbList",'
        f'"itemListElement":[{crumbs}]}}</script>'
    )


def _svg_symbol(rng: random.Random) -> str:
    points = " ".join(f"L{rng.randrange(24)} {rng.randrange(24)}" for _ in range(rng.randint(6, 20)))
    return f'<symbol id="i-{_identifier(rng)}" viewBox="0 0 24 24"><path d="M0 0 {points}Z"/></symbol>'


def _svg_sprite(rng: random.Random, size: int) -> str:
    opening = '<svg xmlns="http://www.w3.org/2000/svg" style="display:none">'
    return _filled(opening, lambda: _svg_symbol(rng), "</svg>", size, joiner="")


def padding(rng: random.Random, size: int) -> tuple[str, str]:
    """(markup for the head, markup for the end of the body), about `size` characters together."""
    head_size = int(size * HEAD_SHARE)
    body_size = size - head_size
    head = _style(rng, head_size // 2) + "\n" + _script(rng, head_size // 2) + "\n" + _json_ld(rng)
    body = _svg_sprite(rng, body_size // 3) + "\n" + _script(rng, body_size - body_size // 3)
    return head, body


def cc_sized(pages: list[SamplePage], sizes: list[int], seed: int = 0) -> list[SamplePage]:
    """Each HTML page padded to a size drawn from `sizes` (never shrunk; non-HTML bodies untouched)."""
    rng = random.Random(seed)
    out = []
    for page in pages:
        html = page.html
        target = int(rng.choice(sizes) * rng.uniform(*JITTER))
        head_at, body_at = html.find(b"</head>"), html.rfind(b"</body>")
        if page.content_type != "text/html" or head_at < 0 or body_at < 0 or target <= len(html):
            out.append(page)
            continue
        head, body = padding(rng, target - len(html))
        # ASCII markup inserted between tags is valid in every charset the generator uses, ISO-2022
        # included (the tags sit in ASCII mode).
        padded = (
            html[:head_at]
            + head.encode("ascii")
            + b"\n"
            + html[head_at:body_at]
            + body.encode("ascii")
            + b"\n"
            + html[body_at:]
        )
        out.append(dataclasses.replace(page, html=padded))
    return out
