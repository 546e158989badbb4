"""Pydantic models of the `tokenize:` section (the lead adds `tokenize: TokenizeConfig | None` to
PipelineConfig). Same conventions as `corpus_builder.config.pipeline`: unknown keys are errors, every
default says where it comes from.

```yaml
tokenize:
  model: /path/to/llm-jp-tokenizer-100k.ver3.0b1.model   # or omit and give `train:`
  normalization: identity        # what the ids represent: nfkc (pipeline default) or identity (LLM-jp v3)
  add_eos: true                  # append the model's </s> id to every document (Megatron's --append-eod)
  num_threads: 0                 # sentencepiece encode threads; 0 = all cores
  train:                         # only when `model` is not given
    vocab_size: 32000
    model_type: unigram
    sample_docs: {ja: 200000, en: 100000, code: 50000}
```
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from corpus_builder.contracts.strict_model import StrictModel


class TrainTokenizerConfig(StrictModel):
    """Training a sentencepiece model on a per-language sample of the run's documents."""

    vocab_size: int = Field(
        default=32_000, ge=16, le=1_000_000, description="Pieces in the model (sentencepiece --vocab_size)."
    )
    model_type: Literal["unigram", "bpe"] = Field(
        default="unigram", description="sentencepiece --model_type (LLM-jp v3 tokenizers are unigram)."
    )
    byte_fallback: bool = Field(
        default=True, description="Unknown characters become <0xNN> byte pieces instead of <unk>."
    )
    character_coverage: float = Field(
        default=0.9995,
        gt=0.0,
        le=1.0,
        description="sentencepiece's recommended value for languages with large character sets (ja, zh).",
    )
    sample_docs: dict[str, int] = Field(
        default_factory=lambda: {"ja": 100_000, "en": 50_000},
        description="Language → documents sampled from documents/<lang>/ (bottom-k of a seeded hash of "
        "the document id, so the sample does not depend on file order or worker count).",
    )
    max_doc_chars: int = Field(
        default=20_000, gt=0, description="Characters of each sampled document given to the trainer."
    )
    max_sentence_length: int = Field(
        default=4192, gt=0, description="sentencepiece --max_sentence_length (bytes); longer lines are cut."
    )
    split_digits: bool = Field(default=True, description="sentencepiece --split_digits (LLM-jp v3: true).")
    add_dummy_prefix: bool = Field(
        default=False,
        description="Prepend a space to every text (sentencepiece's default is true; off "
        "keeps ids a function of the text alone).",
    )
    remove_extra_whitespaces: bool = Field(
        default=False, description="Off: keeps code indentation and line breaks intact."
    )
    user_defined_symbols: list[str] = Field(default_factory=list, description="Pieces never split.")
    hard_vocab_limit: bool = Field(
        default=True,
        description="sentencepiece --hard_vocab_limit. false: `vocab_size` is an upper bound, so a small "
        "sample yields a smaller vocabulary instead of failing.",
    )
    num_threads: int = Field(
        default=1,
        ge=1,
        le=1024,
        description="Trainer threads. Part of the model's identity: unigram EM sums per-thread results, so "
        "a different thread count may give a (slightly) different model.",
    )

    @model_validator(mode="after")
    def _positive_samples(self) -> TrainTokenizerConfig:
        if not self.sample_docs or any(n <= 0 for n in self.sample_docs.values()):
            raise ValueError("sample_docs needs at least one language with a positive count")
        return self


class TokenizeConfig(StrictModel):
    model: str | None = Field(
        default=None,
        description="A sentencepiece .model file (path or fsspec URL). Without it, `train` is used and the "
        "model is written to <output>/tokenizer/tokenizer.model.",
    )
    normalization: Literal["nfkc", "identity"] = Field(
        default="nfkc",
        description="Unicode normalisation the ids represent. NFKC is the pipeline's choice; LLM-jp v3's "
        "tokenizer uses identity. A trained model carries it as its normalizer rule; with a given "
        "model whose rule is identity, NFKC is applied before encoding.",
    )
    add_eos: bool = Field(default=True, description="Append the end-of-document (</s>) id to each document.")
    add_bos: bool = Field(default=False, description="Prepend <s> to each document.")
    num_threads: int = Field(
        default=0, ge=0, le=4096, description="sentencepiece encode threads per task; 0 = all cores."
    )
    batch_docs: int = Field(
        default=2048, gt=0, le=1_000_000, description="Documents per encode call and per Parquet row group."
    )
    compression: Literal["zstd", "snappy", "gzip", "none"] = Field(
        default="zstd", description="Parquet compression of the tokenized files (as `output.compression`)."
    )
    compression_level: int | None = Field(
        default=1,
        ge=1,
        le=22,
        description="zstd/gzip level. 1: higher zstd levels add far more time to the tokenize task than "
        "level 1 does (`python bench/tokenization.py`).",
    )
    train: TrainTokenizerConfig | None = None

    @model_validator(mode="after")
    def _model_or_train(self) -> TokenizeConfig:
        if self.model is None and self.train is None:
            raise ValueError("tokenize needs `model` (a sentencepiece .model) or a `train` section")
        if self.model is not None and self.train is not None:
            raise ValueError("give either `model` or `train`, not both")
        return self
