"""Tokenization with sentencepiece: config, model training, and the tokenize phase."""

from corpus_builder.tokenize.phase import TokenizePhase, TrainTokenizerPhase, build_tokenize_phases
from corpus_builder.tokenize.tokenizer import Tokenizer, TokenizerInfo, train_tokenizer

__all__ = [
    "TokenizePhase",
    "Tokenizer",
    "TokenizerInfo",
    "TrainTokenizerPhase",
    "build_tokenize_phases",
    "train_tokenizer",
]
