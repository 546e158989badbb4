"""PII masking: positives per kind; look-alikes (dates, prices, ISBNs, postal codes, versions) stay."""

from __future__ import annotations

import pytest

from corpus_builder.text.pii import PiiMasker, my_number_check_digit_ok

ALL = PiiMasker(kinds=("email", "phone", "ipv4", "ipv6", "my_number"))

POSITIVES = [
    ("email", "連絡先: taro.yamada+web@example.co.jp まで", "連絡先: <EMAIL> まで"),
    ("email", "mail me at a_b@mail.example.com.", "mail me at <EMAIL>."),
    ("phone", "電話 03-1234-5678 まで", "電話 <PHONE> まで"),
    ("phone", "TEL:06-6123-4567", "TEL:<PHONE>"),
    ("phone", "0166-12-3456", "<PHONE>"),
    ("phone", "０３－１２３４－５６７８", "<PHONE>"),
    ("phone", "(03)1234-5678", "<PHONE>"),
    ("phone", "（０３）１２３４－５６７８", "<PHONE>"),
    ("phone", "03(1234)5678", "<PHONE>"),
    ("phone", "携帯は090-1234-5678です", "携帯は<PHONE>です"),
    ("phone", "080 1234 5678", "<PHONE>"),
    ("phone", "07012345678", "<PHONE>"),
    ("phone", "0312345678", "<PHONE>"),
    ("phone", "フリーダイヤル0120-123-456", "フリーダイヤル<PHONE>"),
    ("phone", "0120-12-3456", "<PHONE>"),
    ("phone", "0800-123-4567", "<PHONE>"),
    ("phone", "+81-90-1234-5678", "<PHONE>"),
    ("phone", "+81 3 1234 5678", "<PHONE>"),
    ("ipv4", "server 192.168.0.1 is down", "server <IP> is down"),
    ("ipv6", "addr 2001:db8::1 ok", "addr <IP> ok"),
    ("ipv6", "fe80::1ff:fe23:4567:890a", "<IP>"),
    ("my_number", "番号 123456789018 です", "番号 <MY_NUMBER> です"),
]

NEGATIVES = [
    "2024-01-15",
    "2024/01/15 10:00",
    "2023年12月31日",
    "令和6年1月15日",
    "¥1,234,567",
    "価格 12,800円（税込）",
    "0120円",
    "ISBN 978-4-12-345678-9",
    "ISBN 0-306-40615-2",
    "978-4-06-519981-7",
    "〒123-4567",
    "〒012-3456 東京都",
    "v1.2.3.4",
    "version 10.0.19041.1",
    "Python 3.11.4",
    "3.14159",
    "12:30:45",
    "03-1234-5678-9",
    "001-234-5678",
    "123456789012",  # 12 digits, wrong check digit
    "user at example dot com",
]


@pytest.mark.parametrize(("kind", "text", "expected"), POSITIVES)
def test_masks_each_kind(kind: str, text: str, expected: str) -> None:
    masked, counts = ALL.mask(text)
    assert masked == expected
    assert counts[kind] == 1 and sum(counts.values()) == 1


@pytest.mark.parametrize("text", NEGATIVES)
def test_look_alikes_are_not_masked(text: str) -> None:
    masked, counts = ALL.mask(text)
    assert masked == text and sum(counts.values()) == 0


def test_replacement_tokens_and_kinds_are_configurable() -> None:
    masker = PiiMasker(kinds=("phone",), replacements={"phone": "[TEL]"})
    assert masker.mask("a@example.com 03-1234-5678") == ("a@example.com [TEL]", {"phone": 1})
    with pytest.raises(ValueError):
        PiiMasker(kinds=("passport",))


def test_my_number_is_opt_in_and_checksummed() -> None:
    assert PiiMasker().mask("123456789018")[0] == "123456789018"
    assert my_number_check_digit_ok("123456789018") and not my_number_check_digit_ok("123456789012")
    loose = PiiMasker(kinds=("my_number",), my_number_checksum=False)
    assert loose.mask("1234 5678 9012")[0] == "<MY_NUMBER>"


def test_counts_several() -> None:
    text = "03-1234-5678 と 090-1234-5678、a@b.jp と c@d.com"
    masked, counts = ALL.mask(text)
    assert counts["phone"] == 2 and counts["email"] == 2
    assert masked == "<PHONE> と <PHONE>、<EMAIL> と <EMAIL>"
