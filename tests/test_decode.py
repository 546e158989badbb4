"""Tests for corpus_builder.text.decode: charset choice on small CJK pages, right and wrong labels."""

from __future__ import annotations

import random

import pytest

from corpus_builder.text.decode.chain import decode_html
from corpus_builder.text.decode.labels import normalize_charset
from corpus_builder.text.decode.page import DecodedPage

JA = (
    "今日は朝から雨が降っていたので、駅まで歩くのをやめてバスに乗りました。"
    "車内はとても静かで、窓の外を流れる街の景色をぼんやり眺めていました。"
    "昼過ぎには空が明るくなり、公園のベンチで温かいお茶を飲みながら本を読みました。"
    "夕方、友人から電話があり、週末に山へ出かける約束をしました。"
)
# ㈱ and ① exist only in Microsoft's code page 932 (NEC row 13), not in plain Shift_JIS.
JA_CP932 = JA + "会社名は㈱と略して書き、作業は①から③の順に進めてください。"
ZH_HANS = (
    "我们村子后面有一条小河，夏天的时候孩子们常常在河边捉鱼。"
    "河水很清，可以看见水底的石头和小虾。"
    "傍晚时分，老人们坐在树下聊天，谈论今年的收成和城里的新鲜事。"
    "我离开家乡已经很多年了，可是每次想起那条小河，心里总是觉得很温暖。"
)
# 镕 and 喆 are in GBK but not in GB2312.
ZH_GBK = ZH_HANS + "邻居家的孩子叫小喆，他的爷爷名字里有一个镕字。"
ZH_HANT = (
    "這座城市的夜市非常熱鬧，街道兩旁擺滿了各種小吃攤。"
    "空氣中飄著烤香腸和臭豆腐的味道，遊客們一邊排隊一邊拍照。"
    "我最喜歡的是一家賣豆花的老店，老闆每天清晨就開始煮豆漿。"
    "吃完一碗冰涼的豆花，整個人都覺得輕鬆起來。"
)
KO = (
    "우리 동네에는 오래된 빵집이 하나 있습니다. 아침 일찍 문을 열면 갓 구운 빵 냄새가 골목 전체에 퍼집니다. "
    "주인 할머니는 단골손님의 이름을 모두 기억하고 늘 웃으며 인사를 건넵니다. "
    "비 오는 날에는 따뜻한 우유와 함께 단팥빵을 먹는 것이 저의 작은 행복입니다."
)
# 똠 is one of the Hangul syllables that only the UHC (cp949) extension area can encode.
KO_CP949 = KO + " 가끔은 근처 식당에서 똠양꿍을 사 먹기도 합니다."


def html(text: str, head: str = "") -> str:
    return (
        f"<!DOCTYPE html>\n<html><head>{head}<title>page</title></head>\n"
        f"<body><h1>test</h1><p>{text}</p></body></html>\n"
    )


def meta_charset(label: str) -> str:
    return f'<meta charset="{label}">'


def meta_http_equiv(label: str) -> str:
    return f'<meta http-equiv="Content-Type" content="text/html; charset={label}">'


def xml_page(text: str, label: str) -> str:
    return (
        f'<?xml version="1.0" encoding="{label}"?>\n'
        f"<rss><channel><item><description>{text}</description></item></channel></rss>\n"
    )


# (id, text, codec used to produce the bytes, HTTP charset, markup)
CORRECTLY_DECLARED: list[tuple[str, str, str, str | None, str]] = [
    ("sjis-meta", JA, "shift_jis", None, html(JA, meta_charset("Shift_JIS"))),
    ("sjis-http", JA, "shift_jis", "Shift_JIS", html(JA)),
    ("sjis-xml", JA, "shift_jis", None, xml_page(JA, "Shift_JIS")),
    ("cp932-meta", JA_CP932, "cp932", None, html(JA_CP932, meta_http_equiv("shift_jis"))),
    ("cp932-http-windows31j", JA_CP932, "cp932", "windows-31j", html(JA_CP932)),
    ("eucjp-meta", JA, "euc_jp", None, html(JA, meta_http_equiv("EUC-JP"))),
    ("eucjp-http", JA, "euc_jp", "euc-jp", html(JA)),
    ("eucjp-xml", JA, "euc_jp", None, xml_page(JA, "euc-jp")),
    ("iso2022jp-meta", JA, "iso2022_jp", None, html(JA, meta_charset("ISO-2022-JP"))),
    ("iso2022jp-http", JA, "iso2022_jp", "iso-2022-jp", html(JA)),
    ("utf8-meta", JA, "utf-8", None, html(JA, meta_charset("utf-8"))),
    ("gb2312-meta", ZH_HANS, "gb2312", None, html(ZH_HANS, meta_http_equiv("gb2312"))),
    ("gb2312-xml", ZH_HANS, "gb2312", None, xml_page(ZH_HANS, "GB2312")),
    ("gbk-meta", ZH_GBK, "gbk", None, html(ZH_GBK, meta_charset("GBK"))),
    ("gbk-labelled-gb2312", ZH_GBK, "gbk", "gb2312", html(ZH_GBK)),
    ("big5-meta", ZH_HANT, "big5", None, html(ZH_HANT, meta_charset("big5"))),
    ("big5-http", ZH_HANT, "big5", "Big5", html(ZH_HANT)),
    ("euckr-meta", KO, "euc_kr", None, html(KO, meta_http_equiv("euc-kr"))),
    ("euckr-xml", KO, "euc_kr", None, xml_page(KO, "EUC-KR")),
    ("cp949-labelled-euckr", KO_CP949, "cp949", None, html(KO_CP949, meta_charset("euc-kr"))),
    ("cp949-http-ks_c", KO_CP949, "cp949", "ks_c_5601-1987", html(KO_CP949)),
]

UNDECLARED: list[tuple[str, str, str]] = [
    ("sjis", JA, "shift_jis"),
    ("cp932", JA_CP932, "cp932"),
    ("eucjp", JA, "euc_jp"),
    ("iso2022jp", JA, "iso2022_jp"),
    ("utf8-ja", JA, "utf-8"),
    ("utf8-zh", ZH_HANT, "utf-8"),
    ("gb2312", ZH_HANS, "gb2312"),
    ("gbk", ZH_GBK, "gbk"),
    ("big5", ZH_HANT, "big5"),
    ("euckr", KO, "euc_kr"),
    ("cp949", KO_CP949, "cp949"),
]

# (id, text, codec of the bytes, HTTP charset, markup, expected method)
MISLABELLED: list[tuple[str, str, str, str | None, str, str]] = [
    ("sjis-labelled-eucjp", JA, "shift_jis", None, html(JA, meta_charset("euc-jp")), "detected"),
    ("utf8-labelled-gb2312", ZH_HANS, "utf-8", None, html(ZH_HANS, meta_charset("gb2312")), "utf8"),
    ("utf8-http-sjis", JA, "utf-8", "shift_jis", html(JA), "utf8"),
    ("eucjp-labelled-latin1", JA, "euc_jp", None, html(JA, meta_charset("iso-8859-1")), "detected"),
    ("eucjp-http-latin1", JA, "euc_jp", "ISO-8859-1", html(JA), "detected"),
    ("sjis-http-utf8", JA, "shift_jis", "utf-8", html(JA), "detected"),
    ("euckr-labelled-1252", KO, "euc_kr", None, html(KO, meta_charset("windows-1252")), "detected"),
    ("gb2312-labelled-latin1", ZH_HANS, "gb2312", None, html(ZH_HANS, meta_charset("latin1")), "detected"),
    ("big5-labelled-utf16", ZH_HANT, "big5", None, html(ZH_HANT, meta_charset("utf-16")), "detected"),
    # Contradictory HTTP and meta: the HTTP label wins when it fits the bytes, as in browsers ...
    ("http-sjis-meta-eucjp", JA, "shift_jis", "shift_jis", html(JA, meta_charset("euc-jp")), "http"),
    ("http-big5-meta-gb2312", ZH_HANT, "big5", "big5", html(ZH_HANT, meta_charset("gb2312")), "http"),
    # ... and the meta label is used when the HTTP one cannot be right.
    ("http-eucjp-meta-sjis", JA, "shift_jis", "euc-jp", html(JA, meta_charset("shift_jis")), "meta"),
    ("http-latin1-meta-gb2312", ZH_HANS, "gb2312", "latin1", html(ZH_HANS, meta_charset("gb2312")), "meta"),
    ("http-utf8-meta-big5", ZH_HANT, "big5", "utf-8", html(ZH_HANT, meta_charset("big5")), "meta"),
]


@pytest.mark.parametrize(
    ("text", "codec", "http", "markup"),
    [c[1:] for c in CORRECTLY_DECLARED],
    ids=[c[0] for c in CORRECTLY_DECLARED],
)
def test_correct_declaration(text: str, codec: str, http: str | None, markup: str) -> None:
    page = decode_html(markup.encode(codec), http)
    assert text in page.text
    assert page.replaced == 0
    if codec != "utf-8":
        assert page.method == ("http" if http else "meta")


@pytest.mark.parametrize(("text", "codec"), [c[1:] for c in UNDECLARED], ids=[c[0] for c in UNDECLARED])
def test_no_declaration(text: str, codec: str) -> None:
    page = decode_html(html(text).encode(codec))
    assert text in page.text
    assert page.replaced == 0
    assert page.method == ("utf8" if codec == "utf-8" else "detected")


@pytest.mark.parametrize(
    ("text", "codec", "http", "markup", "method"),
    [c[1:] for c in MISLABELLED],
    ids=[c[0] for c in MISLABELLED],
)
def test_wrong_or_conflicting_declaration(
    text: str, codec: str, http: str | None, markup: str, method: str
) -> None:
    page = decode_html(markup.encode(codec), http)
    assert text in page.text
    assert page.replaced == 0
    assert page.method == method


@pytest.mark.parametrize(
    ("payload", "charset"),
    [
        (b"\xef\xbb\xbf" + html(JA).encode("utf-8"), "utf-8-sig"),
        (html(ZH_HANT).encode("utf-16"), "utf-16"),
        (b"\xfe\xff" + html(KO).encode("utf-16-be"), "utf-16"),
        (html(JA).encode("utf-32"), "utf-32"),
    ],
    ids=["utf8-bom", "utf16-bom", "utf16be-bom", "utf32-bom"],
)
def test_bom(payload: bytes, charset: str) -> None:
    page = decode_html(payload, "iso-8859-1")  # a BOM outranks any label
    assert page.method == "bom"
    assert page.charset == charset
    assert not page.text.startswith("\ufeff")
    assert "<p>" in page.text


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom(codec: str) -> None:
    page = decode_html(html(JA).encode(codec))
    assert JA in page.text
    assert page.charset == codec


def test_iso2022jp_is_not_mistaken_for_ascii() -> None:
    payload = html(JA).encode("iso2022_jp")
    assert payload.isascii()
    page = decode_html(payload)
    assert JA in page.text
    assert page.charset.startswith("iso2022_jp")


def test_iso2022kr() -> None:
    page = decode_html(html(KO).encode("iso2022_kr"))
    assert KO in page.text
    assert page.charset == "iso2022_kr"


def test_hz_needs_its_label() -> None:
    payload = html(ZH_HANS).encode("hz")
    assert ZH_HANS in decode_html(payload, "HZ-GB-2312").text
    assert decode_html(payload).charset == "ascii"


def test_plain_ascii() -> None:
    page = decode_html(html("Just some English text.").encode("ascii"), "shift_jis")
    assert "Just some English text." in page.text
    assert page.replaced == 0


def test_truncated_payload_keeps_declared_charset() -> None:
    payload = html(JA, meta_charset("shift_jis")).encode("shift_jis")
    cut = payload.index("約束".encode("shift_jis")) + 1  # ends on a lone lead byte
    page = decode_html(payload[:cut])
    assert page.method == "meta"
    assert page.charset == "cp932"
    assert page.replaced == 1
    assert page.text.endswith("\ufffd")


def test_replaced_counts_only_introduced_replacement_chars() -> None:
    # The page legitimately contains U+FFFD once and has one corrupt byte.
    payload = html("壊れた文字\ufffdはそのまま。" + JA).encode("utf-8")
    payload = payload.replace("文字".encode(), b"\xff" + "文字".encode(), 1)
    page = decode_html(payload)
    assert page.charset == "utf-8"
    assert page.replaced == 1
    assert page.text.count("\ufffd") == 2
    assert JA in page.text


def test_latin1_page_without_label() -> None:
    text = "Caf\u00e9 cr\u00e8me and a na\u00efve r\u00e9sum\u00e9 \u2013 nothing else."
    page = decode_html(html(text).encode("cp1252"))
    assert text in page.text


def test_declared_latin1_kept_for_latin_text() -> None:
    text = "Gr\u00fc\u00dfe aus M\u00fcnchen, sch\u00f6ne Stra\u00dfe."
    page = decode_html(html(text, meta_charset("iso-8859-1")).encode("cp1252"))
    assert page.method == "meta"
    assert page.charset == "cp1252"
    assert text in page.text


_rng = random.Random(1234)


@pytest.mark.parametrize(
    ("payload", "http"),
    [
        (b"", None),
        (b"", "utf-8"),
        (b"\x00", None),
        (b"\x00" * 4096, None),
        (b"<html>\x00\x00<p>\x00</p>", "utf-16"),
        (_rng.randbytes(5000), None),
        (_rng.randbytes(5000), "shift_jis"),
        (_rng.randbytes(5000), "utf-16"),
        (b"\xff\xfe\x00\x00\x01", None),
        (b"\xfe\xff\xd8", None),
        (b"\x1b$B\xff\xfe", "iso-2022-jp"),
        (b"\x1b$)C\x0e\x7f\x7f", None),
        (b'<meta charset="\xff\xfe">\x81', None),
        (b"<?xml version='1.0' encoding='x-no-such-codec'?>\x90\x90", "bogus-label"),
        (bytes(range(256)) * 20, "gb18030"),
    ],
)
def test_never_raises(payload: bytes, http: str | None) -> None:
    page = decode_html(payload, http)
    assert isinstance(page, DecodedPage)
    assert isinstance(page.text, str)
    assert page.replaced >= 0


def test_accepts_bytearray() -> None:
    page = decode_html(bytearray(html(JA).encode("utf-8")))  # type: ignore[arg-type]
    assert JA in page.text


@pytest.mark.parametrize(
    ("label", "codec"),
    [
        ("Shift_JIS", "cp932"),
        ("sjis", "cp932"),
        ("x-sjis", "cp932"),
        ("Windows-31J", "cp932"),
        ("EUC-JP", "euc_jis_2004"),
        ("ISO-2022-JP", "iso2022_jp_ext"),
        ("gb2312", "gb18030"),
        ("GBK", "gb18030"),
        ("x-gbk", "gb18030"),
        ("GB18030", "gb18030"),
        ("BIG5", "big5hkscs"),
        ("euc-kr", "cp949"),
        ("ks_c_5601-1987", "cp949"),
        ("ISO-8859-1", "cp1252"),
        ("us-ascii", "cp1252"),
        ("latin1", "cp1252"),
        ("UTF-8", "utf-8"),
        ("utf8", "utf-8"),
        ("utf-16", "utf-16-le"),
        ("UTF-16BE", "utf-16-be"),
        (' "UTF-8"; ', "utf-8"),
        ("windows-1251", "cp1251"),
        ("tis-620", "cp874"),
        ("UHC", "cp949"),
        ("Johab", "johab"),
        ("x-no-such-codec", None),
        ("iso-2022-cn", None),
        ("", None),
        (None, None),
    ],
)
def test_normalize_charset(label: str | None, codec: str | None) -> None:
    assert normalize_charset(label) == codec
