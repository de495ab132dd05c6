"""What the index holds: documents and chunks per product type, model, version, last run."""

from __future__ import annotations

from collections import Counter

from assistant.index import IndexPaths, Manifest
from assistant.settings import Settings


def index_status(settings: Settings) -> dict:
    paths = IndexPaths(settings.index_dir)
    info: dict = {"index_dir": str(settings.index_dir), "version": paths.read_version(),
                  "documents": {}, "chunks": {}, "chunks_total": 0, "embeddings": None,
                  "chroma": settings.chroma_url or "embedded", "last_run": None}
    if not paths.manifest.exists():
        return info
    from ingest.pipeline import all_chunks
    from assistant.index import chroma_client

    client = chroma_client(settings)
    if settings.collection not in [c.name for c in client.list_collections()]:
        return info
    collection = client.get_collection(settings.collection, embedding_function=None)
    _, _, metas = all_chunks(collection)
    docs: dict[str, set[str]] = {}
    chunks: Counter[str] = Counter()
    for meta in metas:
        docs.setdefault(str(meta["doc_type"]), set()).add(str(meta["doc_id"]))
        chunks[str(meta["doc_type"])] += 1
    info.update(documents={k: len(v) for k, v in docs.items()}, chunks=dict(chunks),
                chunks_total=sum(chunks.values()),
                embeddings=(collection.metadata or {}).get("embeddings"),
                last_run=Manifest(paths.manifest).last_run())
    return info
