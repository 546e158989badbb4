#!/usr/bin/env bash
# The side-by-side benchmarks run datatrove in venvs of their own, because the packages its
# processing steps need (fasttext-numpy2-wheel, xxhash<4, tokenizers, spaCy, SudachiPy) clash with
# this project's (one fastText distribution: fasttext-predict; xxhash 4). Needs the package index.
#   /tmp/dtbench: datatrove's FineWeb-style chain (python -m bench --datatrove-python)
#   /tmp/dtvenv:  datatrove's MinHash stages (bench/minhash.py, python -m bench --minhash-python)
set -euo pipefail
python3 -m venv /tmp/dtbench
/tmp/dtbench/bin/pip install --quiet datatrove==0.10.1 trafilatura==2.3.1 lxml_html_clean warcio faust-cchardet \
    python-magic fasttext-numpy2-wheel fasteners spacy sudachipy sudachidict_core orjson psutil
python3 -m venv /tmp/dtvenv
/tmp/dtvenv/bin/pip install --quiet datatrove==0.10.1 tokenizers regex 'xxhash<4' spacy sudachipy sudachidict_core
echo "ready: python -m bench"
