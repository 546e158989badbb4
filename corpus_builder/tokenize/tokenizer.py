"""The sentencepiece tokenizer: loading, identity, batch encoding into Arrow, and training.

Normalisation is explicit. `TokenizeConfig.normalization` names what the ids represent:

- a model we train gets it as its normalizer rule (`nfkc` or `identity`), so sentencepiece applies it
  inside its own encode threads;
- a given model keeps its own rule; if that rule is `identity` and the config asks for NFKC, we
  apply `unicodedata.normalize("NFKC")` before encoding; a model that already normalises (nfkc,
  nmt_nfkc, …) cannot be used with `normalization: identity`, and a given model whose rule differs
  from an NFKC request in another way is refused rather than silently double-normalised.
"""

from __future__ import annotations

import hashlib
import heapq
import io
import unicodedata
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass

import fsspec
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import xxhash
from datatrove.io import DataFolder, get_datafolder

from corpus_builder.config.tokenize import TokenizeConfig

_MODEL_TYPES = {1: "unigram", 2: "bpe", 3: "word", 4: "char"}


# --------------------------------------------------------------------------------------------- proto
def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = buf[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7


def _fields(buf: bytes) -> Iterator[tuple[int, int, int | bytes]]:
    """(field number, wire type, value) of a protobuf message; enough to read a ModelProto."""
    pos = 0
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(buf, pos)
        elif wire == 1:
            value, pos = buf[pos : pos + 8], pos + 8
        elif wire == 2:
            length, pos = _varint(buf, pos)
            value, pos = buf[pos : pos + length], pos + length
        elif wire == 5:
            value, pos = buf[pos : pos + 4], pos + 4
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
        yield number, wire, value


def model_spec(model_bytes: bytes) -> dict[str, object]:
    """Model type, byte fallback and normalizer of a sentencepiece ModelProto, read without protobuf.

    ModelProto: 1 pieces, 2 trainer_spec (3 model_type, 4 vocab_size, 35 byte_fallback),
    3 normalizer_spec (1 name, 3 add_dummy_prefix, 4 remove_extra_whitespaces)."""
    spec: dict[str, object] = {
        "model_type": "unigram",
        "byte_fallback": False,
        "normalizer": "nmt_nfkc",
        "add_dummy_prefix": True,
        "remove_extra_whitespaces": True,
    }
    for number, _, value in _fields(model_bytes):
        if number == 2 and isinstance(value, bytes):
            for n, _, v in _fields(value):
                if n == 3:
                    spec["model_type"] = _MODEL_TYPES.get(int(v), str(v))  # type: ignore[arg-type]
                elif n == 35:
                    spec["byte_fallback"] = bool(v)
        elif number == 3 and isinstance(value, bytes):
            for n, _, v in _fields(value):
                if n == 1:
                    spec["normalizer"] = bytes(v).decode()  # type: ignore[arg-type]
                elif n == 3:
                    spec["add_dummy_prefix"] = bool(v)
                elif n == 4:
                    spec["remove_extra_whitespaces"] = bool(v)
    return spec


# ------------------------------------------------------------------------------------------ identity
@dataclass(frozen=True)
class TokenizerInfo:
    """What identifies the ids: recorded in tokenized/tokenizer.json and the mixture manifest."""

    sha256: str
    vocab_size: int
    model_type: str
    normalizer: str  # the model's own rule
    normalization: str  # what the ids represent (config)
    pre_normalize: bool  # we apply NFKC in Python before encoding
    byte_fallback: bool
    add_bos: bool
    add_eos: bool
    bos_id: int
    eos_id: int
    dtype: str  # uint16 / uint32

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def ids_type(vocab_size: int) -> pa.DataType:
    return pa.uint16() if vocab_size <= 65536 else pa.uint32()


class Tokenizer:
    """A loaded sentencepiece model plus the pipeline's normalisation and EOD policy. Picklable: the
    processor is rebuilt from the model bytes in the worker."""

    def __init__(self, model_bytes: bytes, config: TokenizeConfig) -> None:
        import sentencepiece as spm

        self.model_bytes = model_bytes
        self.config = config
        self._sp = spm.SentencePieceProcessor(model_proto=model_bytes)
        spec = model_spec(model_bytes)
        normalizer = str(spec["normalizer"])
        pre_normalize = False
        if config.normalization == "identity" and normalizer != "identity":
            raise ValueError(
                f"normalization: identity, but the model normalises with {normalizer!r}; "
                "ids would not represent the raw text"
            )
        if config.normalization == "nfkc" and normalizer != "nfkc":
            if normalizer != "identity":
                raise ValueError(
                    f"normalization: nfkc, but the model normalises with {normalizer!r}; use "
                    "normalization: identity only with an identity model, or a model trained with nfkc"
                )
            pre_normalize = True
        self.pre_normalize = pre_normalize
        vocab = self._sp.get_piece_size()
        if config.add_eos and self._sp.eos_id() < 0:
            raise ValueError("add_eos: the model has no </s> piece")
        if config.add_bos and self._sp.bos_id() < 0:
            raise ValueError("add_bos: the model has no <s> piece")
        self.info = TokenizerInfo(
            sha256=hashlib.sha256(model_bytes).hexdigest(),
            vocab_size=vocab,
            model_type=str(spec["model_type"]),
            normalizer=normalizer,
            normalization=config.normalization,
            pre_normalize=pre_normalize,
            byte_fallback=bool(spec["byte_fallback"]),
            add_bos=config.add_bos,
            add_eos=config.add_eos,
            bos_id=self._sp.bos_id(),
            eos_id=self._sp.eos_id(),
            dtype=str(ids_type(vocab)),
        )
        self.value_type = ids_type(vocab)

    @classmethod
    def load(cls, path: str, config: TokenizeConfig) -> Tokenizer:
        with fsspec.open(path, "rb") as f:
            return cls(f.read(), config)

    def __getstate__(self) -> dict[str, object]:
        return {"model_bytes": self.model_bytes, "config": self.config}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__init__(state["model_bytes"], state["config"])  # type: ignore[misc, arg-type]

    def encode(self, texts: Sequence[str]) -> list[list[int]]:
        if self.pre_normalize:
            texts = [unicodedata.normalize("NFKC", t) for t in texts]
        return self._sp.encode(
            list(texts),
            add_bos=self.config.add_bos,
            add_eos=self.config.add_eos,
            num_threads=self.config.num_threads or -1,
        )

    def encode_arrow(self, texts: Sequence[str]) -> tuple[pa.Array, pa.Array]:
        """(token_count int64, input_ids list<uint16|uint32>) for a batch of texts.

        The ids are packed with `array.array.extend` (a C loop over each Python list) and wrapped as an
        Arrow ListArray without another copy; `python -m bench.implementation_choices` compares this
        with `pa.array` on the nested lists."""
        ids = self.encode(texts)
        values = array("H" if self.value_type == pa.uint16() else "I")
        for doc in ids:
            values.extend(doc)
        lengths = np.fromiter(map(len, ids), dtype=np.int64, count=len(ids))
        offsets = np.zeros(len(ids) + 1, dtype=np.int32)
        np.cumsum(lengths, out=offsets[1:])
        flat = np.frombuffer(values, dtype=np.uint16 if self.value_type == pa.uint16() else np.uint32)
        input_ids = pa.ListArray.from_arrays(pa.array(offsets), pa.array(flat, type=self.value_type))
        return pa.array(lengths), input_ids


# ------------------------------------------------------------------------------------------ training
def _sample(folder: DataFolder, lang: str, k: int, seed: int, max_chars: int) -> list[str]:
    """Bottom-k documents of documents/<lang>/ by xxh3(seed, id): independent of file order."""
    heap: list[tuple[int, str, str]] = []  # (-hash, id, text): a max-heap of the k smallest hashes
    for path in sorted(folder.list_files(lang, glob_pattern="*.parquet") if folder.exists(lang) else []):
        with folder.open(path, "rb") as f:
            table = pq.read_table(f, columns=["id", "text"])
        ids = table.column("id").to_pylist()
        hashes = np.fromiter(
            (xxhash.xxh3_64_intdigest(i.encode(), seed=seed) for i in ids), np.uint64, len(ids)
        )
        # only the k best of this file can enter the sample
        candidates = np.argpartition(hashes, k)[:k] if len(hashes) > k else np.arange(len(hashes))
        texts = table.column("text")
        for index in candidates.tolist():
            entry = (-int(hashes[index]), ids[index], "")
            if len(heap) < k:
                heapq.heappush(heap, (entry[0], entry[1], texts[index].as_py()[:max_chars]))
            elif entry[:2] > heap[0][:2]:
                heapq.heapreplace(heap, (entry[0], entry[1], texts[index].as_py()[:max_chars]))
    return [text for _, _, text in sorted(heap, key=lambda e: (-e[0], e[1]))]


def _lines(texts: list[str], max_bytes: int) -> Iterator[str]:
    for text in texts:
        for line in text.split("\n"):
            if not line.strip():
                continue
            data = line.encode()
            if len(data) > max_bytes:
                line = data[:max_bytes].decode(errors="ignore")
            yield line


def train_tokenizer(
    config: TokenizeConfig,
    documents: str | DataFolder,
    model_path: str,
    seed: int = 0,
) -> TokenizerInfo:
    """Train a sentencepiece model on a per-language sample of `documents/<lang>/*.parquet` and write
    it atomically to `model_path` (local path or fsspec URL). Deterministic given config, documents and
    seed: the sample is seeded bottom-k, languages are concatenated in sorted order, sentencepiece's
    input shuffling is off and its random generator is seeded."""
    import sentencepiece as spm

    from corpus_builder.writers.atomic import atomic_open

    train = config.train
    if train is None:
        raise ValueError("tokenize.train is not configured")
    folder = documents if isinstance(documents, DataFolder) else get_datafolder(documents)
    texts: list[str] = []
    for lang in sorted(train.sample_docs):
        # A language the run kept nothing of contributes nothing; the others still make a model.
        texts.extend(_sample(folder, lang, train.sample_docs[lang], seed, train.max_doc_chars))
    if not texts:
        raise ValueError(f"no documents of {sorted(train.sample_docs)} under {folder.path} to train on")
    spm.set_random_generator_seed(seed)
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=_lines(texts, train.max_sentence_length),
        model_writer=model,
        vocab_size=train.vocab_size,
        model_type=train.model_type,
        byte_fallback=train.byte_fallback,
        character_coverage=train.character_coverage,
        normalization_rule_name=config.normalization,
        add_dummy_prefix=train.add_dummy_prefix,
        remove_extra_whitespaces=train.remove_extra_whitespaces,
        split_digits=train.split_digits,
        user_defined_symbols=train.user_defined_symbols,
        max_sentence_length=train.max_sentence_length,
        input_sentence_size=0,
        shuffle_input_sentence=False,
        num_threads=train.num_threads,
        allow_whitespace_only_pieces=True,
        hard_vocab_limit=train.hard_vocab_limit,
        unk_id=0,
        bos_id=1,
        eos_id=2,
        pad_id=-1,
        minloglevel=2,
    )
    data = model.getvalue()
    parent, _, name = model_path.rpartition("/")
    out = get_datafolder(parent or ".")
    if parent:
        out.makedirs("", exist_ok=True)
    with atomic_open(out, name) as f:
        f.write(data)
    return Tokenizer(data, config).info
