"""The lexical side of retrieval: BM25 with Dutch stemming and stop words.

Local Chroma has no BM25, so this index is ours: bm25s over tokens from a Snowball Dutch stemmer,
persisted in ``index_dir/lexical`` next to a table of every chunk (id, text, metadata) and
rebuilt by ingest. The chunk table also serves the metadata filters of the lexical side.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from collections.abc import Sequence

import numpy as np

_WORD = re.compile(r"[^\W_]+(?:-[^\W_]+)*", re.U)
_EXTRA_STOP = {
    "eigenlijk", "wel", "zin", "echt", "ik", "mijn", "we", "wij", "onze", "ons", "jullie",
    "kan", "kun", "kunnen", "moet", "moeten", "mag", "wil", "willen", "welke", "wanneer",
    "waarom", "hoe", "wat", "waar", "iets", "gaat", "heeft", "hebben", "zijn", "wordt", "worden",
    "goed", "beter", "iemand", "jij", "je", "u", "over", "onderzoek", "bekend", "weten",
    "school", "leerlingen", "leerling", "klas", "kinderen", "kind", "werkt", "helpt",
}


@lru_cache(maxsize=1)
def _stemmer():  # noqa: ANN202
    import Stemmer

    return Stemmer.Stemmer("dutch")


@lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_DUTCH

    return frozenset(STOPWORDS_DUTCH) | frozenset(_EXTRA_STOP)


def words(text: str) -> list[str]:
    """Lower-cased words without stop words; hyphenated compounds also give their parts."""
    out: list[str] = []
    for w in _WORD.findall(text.lower()):
        parts = [w] + (w.split("-") if "-" in w else [])
        out.extend(p for p in parts if len(p) > 1 and p not in stop_words())
    return out


def tokenize(text: str) -> list[str]:
    return _stemmer().stemWords(words(text))


class LexicalIndex:
    """BM25 over all chunks plus the chunk table (ids, texts, metadata)."""

    def __init__(self, ids: list[str], texts: list[str], metas: list[dict], bm25: object,
                 doc_freq: dict[str, int]) -> None:
        self.ids, self.texts, self.metas, self._bm25 = ids, texts, metas, bm25
        self.doc_freq = doc_freq  # stem -> number of chunks containing it

    @classmethod
    def build(cls, ids: Sequence[str], texts: Sequence[str], metas: Sequence[dict]) -> LexicalIndex:
        import logging

        import bm25s

        logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs every build at DEBUG
        bm25 = bm25s.BM25()
        tokens = [tokenize(t) or ["_"] for t in texts]
        if ids:
            bm25.index(tokens, show_progress=False)
        doc_freq: dict[str, int] = {}
        for toks in tokens:
            for t in set(toks):
                doc_freq[t] = doc_freq.get(t, 0) + 1
        return cls(list(ids), list(texts), list(metas), bm25, doc_freq)

    def save(self, folder: Path) -> None:
        tmp = folder.with_name(folder.name + ".tmp")
        tmp.mkdir(parents=True, exist_ok=True)
        if self.ids:
            self._bm25.save(str(tmp / "bm25"))  # type: ignore[attr-defined]
        with open(tmp / "chunks.json", "w", encoding="utf-8") as fh:
            json.dump({"ids": self.ids, "texts": self.texts, "metas": self.metas,
                       "doc_freq": self.doc_freq}, fh, ensure_ascii=False)
        if folder.exists():
            old = folder.with_name(folder.name + ".old")
            folder.replace(old)
            tmp.replace(folder)
            _rmtree(old)
        else:
            tmp.replace(folder)

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        import bm25s

        with open(folder / "chunks.json", encoding="utf-8") as fh:
            data = json.load(fh)
        bm25 = bm25s.BM25.load(str(folder / "bm25")) if data["ids"] else bm25s.BM25()
        return cls(data["ids"], data["texts"], data["metas"], bm25, data["doc_freq"])

    def scores(self, query: str) -> np.ndarray:
        tokens = tokenize(query)
        if not self.ids or not tokens:
            return np.zeros(len(self.ids), np.float32)
        return np.asarray(self._bm25.get_scores(tokens), np.float32)  # type: ignore[attr-defined]


def _rmtree(path: Path) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)
