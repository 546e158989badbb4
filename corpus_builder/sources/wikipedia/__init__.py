"""Wikipedia readers: MediaWiki XML dumps (streamed) and the HF ``wikimedia/wikipedia`` Parquet layout
(import from the module that defines a name; this package exports nothing itself).

Modules by job: ``dump`` (``iter_wikipedia``, the XML stream reader) and ``dump_page`` (one ``<page>`` element
→ a document, an error or a counted skip); ``page_filters`` (redirects, disambiguation pages);
``wikitext`` (``wikitext_to_text``, the wikitext → plain text conversion) with ``preclean`` (cheap removal
before parsing), ``templates`` (templates that stand for running text), ``tidy`` (clean-up of the rendered
text) and ``vocabulary`` (the section, namespace and tag names they share); ``parquet``
(``iter_wikipedia_parquet``).

``dump.iter_wikipedia(path)`` reads a ``*-pages-articles*.xml`` dump, plain or compressed (bz2, xz, gzip,
zstd; detected by magic bytes), page by page with ``xml.etree.ElementTree.iterparse``; each finished
``<page>`` is cleared from the tree, so memory stays flat on a 4 GB dump.  For parallel work use the
multistream split files (``pages-articles1.xml-p1p114794.bz2`` ...): one task per file.

Policy:

* only namespace 0 (articles) by default (``namespaces=``);
* redirects (a ``<redirect/>`` element, or text starting with ``#REDIRECT``/``#転送``/``#重定向``/
  ``#넘겨주기``)
  and disambiguation pages (a template whose name contains 曖昧さ回避 / 消歧义 / 동음이의, or is one of
  ``disambig``, ``dab``, ``aimai`` ..., or the ``__DISAMBIG__`` magic word) are skipped, as are pages whose
  text is empty after cleaning; skipped pages are counted in ``stats`` when a dict is passed;
* the text is cut at the first heading among the "back matter" sections (脚注, 関連項目, 出典, 参考文献,
  外部リンク, 注釈, References, See also, ...; see ``vocabulary.STOP_SECTIONS``), whatever its level;
* wikitext → plain text with mwparserfromhell (``wikitext.wikitext_to_text``): templates, ``<ref>``, tables,
  files/images, categories, interlanguage links, comments and math are dropped; link text is kept; a few
  templates that stand for running text keep their text (``{{lang|en|text}}``, ``{{仮リンク|表示|en|...}}``,
  ``{{ruby|漢字|かな}}`` ...; see ``templates.TEXT_TEMPLATE_FNS``); brackets left empty are removed;
* a dump that ends early (truncated download, ``head -n`` cut) yields every page that was complete and then
  one ``SourceError`` naming the truncation; a page whose wikitext cannot be converted is one error.

Provenance: ``id`` = ``<dbname>:<page id>`` (e.g. ``jawiki:1234``), ``record_id`` = page id, ``offset`` = the
page's running index in the file (0-based, counting every ``<page>`` element), ``date`` = the revision
timestamp, ``url`` = ``https://<host>/wiki/<title>``, ``extra`` = title, namespace, revision_id, dbname.
"""
