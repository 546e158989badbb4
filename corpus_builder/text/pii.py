"""PII masking for Japanese and English web text: e-mail, Japanese phone numbers, IPv4/IPv6 and
(optionally) My Number-like 12-digit runs.  Each kind has a replacement token and a count.

Phone numbers: Japanese landline (10 digits, 0 + area code), mobile/IP (070/080/090/050, 11
digits), toll-free (0120 + 6 digits, 0800 + 7 digits), also as +81; half- or full-width digits,
hyphens of any width (- ‐ － ― − ー) or spaces between groups, area code in brackets
(``(03)1234-5678``, ``03(1234)5678``).  A candidate must have the digit count and group shape of
a real number (last group of 4 digits, 3 for 0120), so dates (2024-01-15), prices, ISBNs
(978-4-…, 4-…-…), postal codes (〒123-4567) and version numbers are not masked; digit runs glued
to other digits, letters, ``.`` or ``/`` are never candidates.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

KINDS = ("email", "phone", "ipv4", "ipv6", "my_number")

DEFAULT_REPLACEMENTS: dict[str, str] = {
    "email": "<EMAIL>",
    "phone": "<PHONE>",
    "ipv4": "<IP>",
    "ipv6": "<IP>",
    "my_number": "<MY_NUMBER>",
}

_DIGIT = "0-9０-９"
_FW = str.maketrans("０１２３４５６７８９", "0123456789")
_SEP = "[-‐－―−ー \u3000]"
_OPEN, _CLOSE = "[(（]", "[)）]"

_EMAIL = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}(?![\w-])"
)
# Groups of digits, optionally bracketed, separated by one separator; validated in _phone_ok.
_PHONE = re.compile(
    rf"(?<![{_DIGIT}A-Za-z.,/_\-－〒+])"
    rf"(?P<intl>\+81{_SEP}?)?"
    rf"(?:{_OPEN}[{_DIGIT}]{{1,5}}{_CLOSE}{_SEP}?|[{_DIGIT}]{{1,5}}(?:{_SEP}|{_OPEN}))"
    rf"(?:[{_DIGIT}]{{1,4}}(?:{_SEP}|{_CLOSE}{_SEP}?))?"
    rf"[{_DIGIT}]{{3,4}}"
    rf"(?![{_DIGIT}A-Za-z.,/_\-－%])"
    rf"|(?<![{_DIGIT}A-Za-z.,/_\-－〒+])[0０][{_DIGIT}]{{9,10}}(?![{_DIGIT}A-Za-z.,/_\-－%])"
)
_IPV4 = re.compile(
    r"(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\w.])"
)
_IPV6 = re.compile(
    r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{0,4}|(?:\d{1,3}\.){3}\d{1,3})(?![\w:])"
)
_MY_NUMBER = re.compile(
    rf"(?<![{_DIGIT}\-.,])[{_DIGIT}]{{4}}[ -]?[{_DIGIT}]{{4}}[ -]?[{_DIGIT}]{{4}}(?![{_DIGIT}\-.,])"
)
_VERSION_BEFORE = re.compile(r"(?:(?<![A-Za-z])(?:v|ver\.?|version)|バージョン)\s*$", re.IGNORECASE)
_ISBN_BEFORE = re.compile(r"ISBN(?:-1[03])?[:：]?\s*$", re.IGNORECASE)

_MOBILE = ("070", "080", "090", "050")


def _phone_ok(match: re.Match[str], text: str) -> bool:
    intl = match.group("intl") or ""
    raw = match.group(0)[len(intl) :]
    if _ISBN_BEFORE.search(text[max(0, match.start() - 12) : match.start()]):
        return False
    groups = [g.translate(_FW) for g in re.findall(f"[{_DIGIT}]+", raw)]
    if intl:
        if groups[0].startswith("0"):
            return False
        groups[0] = "0" + groups[0]
    digits = "".join(groups)
    if not digits.startswith("0") or digits.startswith("00"):
        return False
    if len(groups) == 1:  # unseparated: only the exact lengths of real numbers
        return (len(digits) == 11 and digits.startswith((*_MOBILE, "0800"))) or (
            len(digits) == 10 and not digits.startswith((*_MOBILE, "0800"))
        )
    if len(groups) == 2:  # (03)12345678-like is not a format; 03-12345678 neither
        return False
    first, _, last = groups
    if digits.startswith("0120"):
        return len(digits) == 10 and len(last) in (3, 4)
    if len(last) != 4 or not 2 <= len(first) <= 5:
        return False
    if digits.startswith((*_MOBILE, "0800")):
        return len(digits) == 11
    return len(digits) == 10


def my_number_check_digit_ok(digits: str) -> bool:
    """The My Number (individual number) check digit rule over 12 digits."""
    body, check = digits[:11], int(digits[11])
    total = sum(int(p) * (n + 1 if n <= 6 else n - 5) for n, p in enumerate(reversed(body), start=1))
    remainder = total % 11
    return check == (0 if remainder <= 1 else 11 - remainder)


@dataclass(frozen=True)
class PiiMasker:
    kinds: tuple[str, ...] = ("email", "phone", "ipv4", "ipv6")
    replacements: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_REPLACEMENTS))
    my_number_checksum: bool = True  # only 12-digit runs with a valid check digit are My Numbers

    def __post_init__(self) -> None:
        unknown = set(self.kinds) - set(KINDS)
        if unknown:
            raise ValueError(f"unknown PII kind(s) {sorted(unknown)}; known: {KINDS}")

    def _token(self, kind: str) -> str:
        return self.replacements.get(kind, DEFAULT_REPLACEMENTS[kind])

    def mask(self, text: str) -> tuple[str, dict[str, int]]:
        """The masked text and how many spans of each enabled kind were replaced."""
        counts = dict.fromkeys(self.kinds, 0)
        if "email" in self.kinds and "@" in text:
            text, counts["email"] = _EMAIL.subn(self._token("email"), text)
        if "ipv6" in self.kinds and ("::" in text or text.count(":") >= 7):
            text = self._sub(_IPV6, text, "ipv6", counts, _ipv6_ok)
        if "ipv4" in self.kinds and "." in text:
            text = self._sub(_IPV4, text, "ipv4", counts, _ipv4_ok)
        if "my_number" in self.kinds:
            text = self._sub(_MY_NUMBER, text, "my_number", counts, self._my_number_ok)
        if "phone" in self.kinds:
            text = self._sub(_PHONE, text, "phone", counts, _phone_ok)
        return text, counts

    def _my_number_ok(self, match: re.Match[str], text: str) -> bool:
        digits = re.sub(r"\D", "", match.group(0).translate(_FW))
        return len(digits) == 12 and (not self.my_number_checksum or my_number_check_digit_ok(digits))

    def _sub(self, regex: re.Pattern[str], text: str, kind: str, counts: dict[str, int], ok) -> str:
        token = self._token(kind)

        def replace(match: re.Match[str]) -> str:
            if not ok(match, text):
                return match.group(0)
            counts[kind] += 1
            return token

        return regex.sub(replace, text)


def _ipv4_ok(match: re.Match[str], text: str) -> bool:
    return not _VERSION_BEFORE.search(text[max(0, match.start() - 10) : match.start()])


def _ipv6_ok(match: re.Match[str], text: str) -> bool:
    candidate = match.group(0)
    if sum(c.isalnum() for c in candidate) < 3:
        return False
    try:
        ipaddress.IPv6Address(candidate)
    except ValueError:
        return False
    return True
