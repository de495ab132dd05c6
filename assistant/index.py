"""The index on disk: Chroma collection, manifest, embedding cache, lexical index, version.

Layout of ``index_dir``::

    chroma/          Chroma PersistentClient data (unless NRO_CHROMA_URL points at a server)
    manifest.sqlite  one row per ingested file (hash, documents) and the last run's summary
    embcache.sqlite  vectors keyed by (embedding model, content hash)
    lexical/         BM25 index and chunk table, rebuilt by ingest
    VERSION          a counter bumped after every ingest that changed something
    ingest.lock      held by the one writer

Ingest writes all of it; the assistant only reads, and reopens when VERSION changes.
"""

from __future__ import annotations

import json
import sqlite3
import time
from contextlib import closing
from pathlib import Path
from collections.abc import Iterable, Sequence

import numpy as np

from assistant.settings import Settings


class IndexPaths:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.chroma = self.root / "chroma"
        self.manifest = self.root / "manifest.sqlite"
        self.embcache = self.root / "embcache.sqlite"
        self.lexical = self.root / "lexical"
        self.version = self.root / "VERSION"
        self.lock = self.root / "ingest.lock"

    def read_version(self) -> int:
        try:
            return int(self.version.read_text().strip() or 0)
        except (FileNotFoundError, ValueError):
            return 0

    def bump_version(self) -> int:
        new = self.read_version() + 1
        tmp = self.version.with_suffix(".tmp")
        tmp.write_text(str(new))
        tmp.replace(self.version)
        return new


def chroma_client(settings: Settings):  # noqa: ANN201 - chromadb's client type is internal
    """Embedded PersistentClient in the index folder, or HttpClient for NRO_CHROMA_URL."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_url:
        from urllib.parse import urlparse

        url = urlparse(settings.chroma_url)
        return chromadb.HttpClient(host=url.hostname or "127.0.0.1", port=url.port or 8000,
                                   ssl=url.scheme == "https", settings=chroma_settings)
    paths = IndexPaths(settings.index_dir)
    paths.chroma.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(paths.chroma), settings=chroma_settings)


def open_collection(settings: Settings, embedding_name: str, create: bool = False):  # noqa: ANN201
    """The chunk collection; vectors are always passed in, so no embedding function is set
    (Chroma's default one would download a model)."""
    client = chroma_client(settings)
    meta = {"hnsw:space": "cosine", "embeddings": embedding_name}
    if create:
        return client.get_or_create_collection(settings.collection, metadata=meta,
                                               embedding_function=None)
    return client.get_collection(settings.collection, embedding_function=None)


class Manifest:
    """What was ingested from which file, so that unchanged files cost only a hash."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with closing(self._connect()) as db, db:
            db.execute("CREATE TABLE IF NOT EXISTS files (source TEXT PRIMARY KEY, "
                       "file_hash TEXT, docs TEXT, chunks INTEGER, ingested_at REAL)")
            db.execute("CREATE TABLE IF NOT EXISTS runs (id INTEGER PRIMARY KEY, summary TEXT)")

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=30)

    def files(self) -> dict[str, str]:
        with closing(self._connect()) as db:
            return dict(db.execute("SELECT source, file_hash FROM files"))

    def put(self, source: str, file_hash: str, doc_ids: Sequence[str], chunks: int) -> None:
        with closing(self._connect()) as db, db:
            db.execute("INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?)",
                       (source, file_hash, json.dumps(list(doc_ids)), chunks, time.time()))

    def remove(self, sources: Iterable[str]) -> None:
        with closing(self._connect()) as db, db:
            db.executemany("DELETE FROM files WHERE source = ?", [(s,) for s in sources])

    def clear(self) -> None:
        with closing(self._connect()) as db, db:
            db.execute("DELETE FROM files")

    def record_run(self, summary: dict) -> None:
        with closing(self._connect()) as db, db:
            db.execute("INSERT INTO runs (summary) VALUES (?)", (json.dumps(summary),))

    def last_run(self) -> dict | None:
        with closing(self._connect()) as db:
            row = db.execute("SELECT summary FROM runs ORDER BY id DESC LIMIT 1").fetchone()
        return json.loads(row[0]) if row else None


class EmbeddingCache:
    """Vectors by (model, content hash): a rebuild re-embeds nothing it has seen."""

    def __init__(self, path: Path, model: str) -> None:
        self.path, self.model = path, model
        path.parent.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(path, timeout=30)) as db, db:
            db.execute("CREATE TABLE IF NOT EXISTS vectors (model TEXT, content_hash TEXT, "
                       "vector BLOB, PRIMARY KEY (model, content_hash))")

    def get_many(self, hashes: Sequence[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        with closing(sqlite3.connect(self.path, timeout=30)) as db:
            for start in range(0, len(hashes), 500):
                part = list(hashes[start:start + 500])
                marks = ",".join("?" * len(part))
                rows = db.execute(f"SELECT content_hash, vector FROM vectors WHERE model = ? "
                                  f"AND content_hash IN ({marks})", [self.model, *part])
                found.update((h, np.frombuffer(v, dtype=np.float32)) for h, v in rows)
        return found

    def put_many(self, items: dict[str, np.ndarray]) -> None:
        with closing(sqlite3.connect(self.path, timeout=30)) as db, db:
            db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)",
                           [(self.model, h, np.asarray(v, np.float32).tobytes())
                            for h, v in items.items()])
