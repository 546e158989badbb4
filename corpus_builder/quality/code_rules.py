"""Metadata rules of The-Stack-style code documents: extension and licence allowlists.

The text rules (line lengths, alphanumeric fraction, generated-code markers) are the `the-stack`
preset (:mod:`corpus_builder.quality.code`); these two need the file path and licence, taken
from document metadata.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath

from corpus_builder.quality.clean import WORDLISTS_DIR, read_wordlist

DEFAULT_EXTENSIONS = WORDLISTS_DIR / "code_extensions.txt"
DEFAULT_LICENSES = WORDLISTS_DIR / "code_licenses.txt"


def extension_of(path: str) -> str:
    name = PurePosixPath(path.split("?", 1)[0].split("#", 1)[0]).name
    return name.rsplit(".", 1)[1].lower() if "." in name.strip(".") else ""


@dataclass(frozen=True)
class CodeMetadataRules:
    extensions: frozenset[str] | None
    licenses: frozenset[str] | None  # lower-cased SPDX ids; None = no licence check

    @classmethod
    def from_files(
        cls, extensions_path=DEFAULT_EXTENSIONS, licenses_path=DEFAULT_LICENSES
    ) -> CodeMetadataRules:
        return cls(
            extensions=frozenset(e.lower().lstrip(".") for e in read_wordlist(extensions_path))
            if extensions_path
            else None,
            licenses=frozenset(x.lower() for x in read_wordlist(licenses_path)) if licenses_path else None,
        )

    def check(self, path: str | None, licenses: list[str] | str | None) -> str | None:
        """None to keep, or ``extension_not_allowed:<ext>`` / ``license_not_allowed:<id>`` /
        ``no_license``.  With several licences (The Stack lists all detected), all must be allowed."""
        if self.extensions is not None:
            ext = extension_of(path or "")
            if ext not in self.extensions:
                return f"extension_not_allowed:{ext or '(none)'}"
        if self.licenses is not None:
            found = [licenses] if isinstance(licenses, str) else list(licenses or [])
            if not found:
                return "no_license"
            for lic in found:
                if lic.lower() not in self.licenses:
                    return f"license_not_allowed:{lic}"
        return None
