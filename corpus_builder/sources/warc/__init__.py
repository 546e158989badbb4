"""Robust, streaming WARC record reading (import from the module that defines a name; this package
exports nothing itself).

Modules by job: ``record`` (what is yielded, and building it from a framed record), ``headers`` (framing
shared by the paths), ``streams`` and ``careful_path``, ``fast_path``, ``arc_fallback``, ``reader``
(``iter_warc``, the entry).

``reader.iter_warc`` yields one item per WARC record of the requested types: a ``record.WarcRecord`` for a
good record, a ``record.WarcReadError`` for a bad one.  A bad record never ends the iteration: every good
record before *and after* it still comes out.

Three readers cooperate:

* **fast path** (``fast_path``) -- one gzip member per record (as Common Crawl writes) or a plain
  ``.warc``.  It emits a record only when it is exactly well formed: CRLF headers with one version line and
  a decimal ``Content-Length``, the block followed by CRLF CRLF and then the next record (or the member's /
  file's end).  At the first record that is not, it hands the rest of the file, from that record's own
  offset and with the bytes already read, to the careful path: nothing is read twice and nothing is
  emitted twice.  (fastwarc was the fast path before: it skips records with bare-LF headers without a
  word, so a reader built on it could not promise that no record is lost.)
* **careful path** (``careful_path``, a parser over the decoded ``streams``) -- it tracks gzip member
  boundaries itself and resynchronises after any framing error: at the next gzip member start
  (``1f 8b 08`` whose inflated start is ``WARC/``) or the next ``WARC/x.y`` line in the decompressed stream,
  which also lets a single-member ``.warc.gz`` go on after damage.  A block is checked against what follows
  it: when it runs into a plausible record header (a version line, header lines, a blank line, a numeric
  Content-Length) the record was cut short or its Content-Length is too large, and reading goes on at that
  header.  It is lenient where the meaning is clear, as warcio is: bare-LF line endings, any header-name
  case and whitespace, any run of line breaks (or none) between records.
* **legacy path** (``arc_fallback``) -- warcio, only for ARC files (``filedesc://`` first line), which
  neither of the above understands.  warcio cannot resynchronise, so an exception there ends the file
  with one error.

The HTTP head and body are parsed by :mod:`corpus_builder.sources.http_body` (status-line and line-ending
leniency, chunked transfer coding, Content-Encoding).  Every leniency applied is named in
``WarcRecord.lenient`` (e.g. ``lenient_status_line``); the read step counts them in its stats.

Bounds (no input may make us loop forever or use unbounded memory): the raw input is read in 1 MiB chunks;
a WARC header is at most 64 KiB; a record block is kept up to ``max_payload_bytes`` + 64 KiB and the rest is
streamed past; every resynchronisation step moves strictly forward.

Policy decisions:

* A payload longer than ``max_payload_bytes`` is cut and the record is emitted with ``truncated="length"``
  (unless the WARC already carries ``WARC-Truncated``), so callers can still use the head of a big page.
* HTTP ``Content-Encoding`` (gzip, deflate, br) is decoded with an output bound of ``max_payload_bytes``.
  When the bound is hit and the expansion ratio is > 100x the record is reported as
  ``"payload decompression bomb"``; otherwise it is emitted cut, with ``truncated="length"``.
* A record whose block is incomplete (truncated gzip member, truncated file, corrupt member, a block that
  runs into the next record) is reported as an error whose reason says ``truncated``, never emitted with a
  partial payload: a half page cannot be told apart from a whole one later.  Records flagged by their writer
  (``WARC-Truncated``) are kept with that flag; so is a block whose Content-Length stops at most 8 stray
  bytes before CRLF CRLF and the next record (``truncated="length"``, as warcio reads it), and an HTTP body
  whose chunked or gzip stream ends early (``truncated="disconnect"``).
* A ``Content-Length`` beyond 64 bits is an invalid header; one larger than the rest of the file is read to
  the end and then checked for swallowed records like any other.  Bounded memory means a damaged block is
  only searched for swallowed records within its first ``max_payload_bytes`` + 64 KiB.
* Offsets: for gzip files, the offset of the gzip member the record starts in (equal to warcio's
  ``get_record_offset()`` for the usual one-member-per-record layout; records sharing a member share its
  offset); for plain files, the byte offset of the ``WARC/`` line.
"""
