"""Shared fixtures: settings pointing at temporary folders, and indexes built for real.

``corpus_index`` ingests the whole bundled corpus once per test session with the real e5
model (a few minutes on 2 cores); ``bow_index`` ingests it with bag-of-words fake embeddings
(seconds) for tests where only ranking wiring matters.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from assistant.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
FIXTURES = Path(__file__).resolve().parent / "fixtures"

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


def make_settings(index_dir: Path, **overrides: object) -> Settings:
    return Settings(_env_file=None, index_dir=index_dir, gaps_log=index_dir / "gaps.jsonl",
                    **overrides)  # type: ignore[arg-type]


def _build(index_dir: Path, embeddings: str, **overrides: object) -> Settings:
    from ingest.pipeline import Ingestor

    settings = make_settings(index_dir, embeddings=embeddings, **overrides)
    summary = Ingestor(settings).run([CORPUS], progress=False)
    assert not summary.errors, summary.errors
    return settings


@pytest.fixture(scope="session")
def corpus_index(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The bundled corpus, ingested with the real e5 embeddings."""
    return _build(tmp_path_factory.mktemp("e5-index"), "e5")


@pytest.fixture(scope="session")
def bow_index(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The bundled corpus, ingested with bag-of-words fake embeddings (fast)."""
    # The refusal weights are calibrated for e5 cosines: with fake vectors nothing is refused.
    return _build(tmp_path_factory.mktemp("bow-index"), "fake-bow", refusal_threshold=0.0)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "index", embeddings="fake")
