"""Names the wikitext conversion recognises across languages (ja, en, zh, ko, a few European): back-matter
section titles, namespaces whose links are not running text, and extension tags whose content is dropped.
All case-folded, as they are matched."""

from __future__ import annotations

__all__ = ["STOP_SECTIONS", "DROP_LINK_NS", "DROP_TAGS"]

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

# Namespaces whose links are not running text (files, categories).  Names from the dump's siteinfo
# (ns 6, 14, -2) are added per file.
DROP_LINK_NS = frozenset(
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

# Tags whose content is markup, data or code, never running text.
DROP_TAGS = frozenset(
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
