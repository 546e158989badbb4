"""Templates that stand for running text (``{{lang|en|text}}``, ``{{仮リンク|表示|en|...}}``,
``{{ruby|漢字|かな}}`` ...): which parameter holds the text, and that text.  Every other template is
dropped."""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["TEXT_TEMPLATE_FNS", "template_name", "keeps_text", "template_text"]

# Maintenance templates that wrap a span of the article; the span is the text.
_SPAN_TEMPLATES = ("要出典範囲", "独自研究範囲", "疑問点範囲", "要検証範囲")


def _param(tpl, index: int) -> str | None:
    key = str(index)
    if tpl.has(key):
        return tpl.get(key).value
    return None


def _text_templates() -> dict[str, Callable]:
    """template name (case-folded) -> callable(template) giving the wikicode of its text, or None."""

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
        *_SPAN_TEMPLATES,
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
    # Keys as template_text looks them up: MediaWiki treats "_" and " " in names alike.
    return {name.replace("_", " ").casefold(): fn for name, fn in table.items()}


TEXT_TEMPLATE_FNS = _text_templates()


def template_name(raw: str) -> str:
    """A template's name as the table is keyed: spaces for underscores, case-folded, no namespace."""
    name = raw.strip().replace("_", " ").casefold()
    return name.removeprefix("template:").removeprefix("テンプレート:")


def keeps_text(name: str) -> bool:
    return name in TEXT_TEMPLATE_FNS or (name.startswith("lang-") and len(name) <= 12)


def template_text(tpl, render: Callable) -> str:
    """The running text a template stands for, rendered with ``render``; "" for every other template."""
    name = template_name(str(tpl.name))
    fn = TEXT_TEMPLATE_FNS.get(name)
    if fn is None and name.startswith("lang-") and len(name) <= 12:  # {{lang-en|text}}
        fn = TEXT_TEMPLATE_FNS["nowrap"]
    if fn is None:
        return ""
    value = fn(tpl)
    if value is None and tpl.has("1") is False and name in _SPAN_TEMPLATES:
        # the span templates often pass the covered text as a named parameter instead
        for p in tpl.params:
            if str(p.name).strip() not in ("date", "title", "talksection"):
                value = p.value
                break
    return render(value) if value is not None else ""
