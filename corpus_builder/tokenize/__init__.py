"""Tokenization with sentencepiece: config, model training, and the tokenize phase."""

from corpus_builder.tokenize.config import TokenizeConfig, TrainTokenizerConfig
from corpus_builder.tokenize.phase import TokenizePhase, TrainTokenizerPhase, build_tokenize_phases
from corpus_builder.tokenize.tokenizer import Tokenizer, TokenizerInfo, train_tokenizer

__all__ = [
    "TokenizeConfig",
    "TokenizePhase",
    "Tokenizer",
    "TokenizerInfo",
    "TrainTokenizerConfig",
    "TrainTokenizerPhase",
    "build_tokenize_phases",
    "train_tokenizer",
]
