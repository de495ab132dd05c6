"""The idempotent ingest pipeline: walk → hash → load → chunk → embed (cached) → upsert → prune.

- An unchanged file costs a read and a hash: no parse, no embedding.
- A changed file replaces exactly its chunks: chunk ids come from (doc_id, index, content hash),
  and the chunks the index holds for that file are looked up in Chroma itself, so a run that
  was killed half-way is repaired by the next one without duplicates.
- Embeddings are cached by (model, content hash).
- One writer at a time (a lock file). A bad file is reported with a plain reason and the run
  goes on. At the end the lexical index is rebuilt (when anything changed) and the index
  version is bumped so that readers reopen.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from collections.abc import Iterable, Sequence

from filelock import FileLock, Timeout

from assistant.embeddings import Embeddings, make_embeddings
from assistant.index import EmbeddingCache, IndexPaths, Manifest, chroma_client, open_collection
from assistant.lexical import LexicalIndex
from assistant.settings import Settings
from ingest.chunking import Chunk, chunk_document
from ingest.documents import LoadError, sha256
from ingest.loaders import loader_for

log = logging.getLogger(__name__)
CHROMA_MAX_BATCH = 5000  # Chroma refuses more than 5461 records per call
# Bump when a loader or the chunker changes what it makes of the same bytes: every file is then
# parsed again on the next run (unchanged chunks still come from the embedding cache).
PIPELINE_VERSION = "3"


class IngestError(Exception):
    """The run cannot go on at all (exit code 1)."""


@dataclass
class Summary:
    files: int = 0
    files_unchanged: int = 0
    files_ignored: int = 0
    documents: int = 0
    chunks_added: int = 0
    chunks_updated: int = 0
    chunks_removed: int = 0
    chunks_unchanged: int = 0
    embedded: int = 0
    embeddings_cached: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def exit_code(self) -> int:
        return 3 if self.errors else 0

    def as_dict(self) -> dict:
        return asdict(self)


def walk(paths: Sequence[Path]) -> Iterable[tuple[Path, str]]:
    """(file, source path relative to its ingest root), sorted, hidden entries skipped."""
    for root in paths:
        root = Path(root)
        if root.is_file():
            yield root, root.name
            continue
        if not root.is_dir():
            raise IngestError(f"{root}: no such file or folder")
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith((".", "_")))
            for name in sorted(filenames):
                if not name.startswith("."):
                    path = Path(dirpath) / name
                    yield path, path.relative_to(root).as_posix()


class Ingestor:
    def __init__(self, settings: Settings, embeddings: Embeddings | None = None) -> None:
        self.settings = settings
        self.paths = IndexPaths(settings.index_dir)
        self.paths.root.mkdir(parents=True, exist_ok=True)
        self.embeddings = embeddings or make_embeddings(settings.embeddings, settings)
        self.cache = EmbeddingCache(self.paths.embcache, self.embeddings.name)
        self.manifest = Manifest(self.paths.manifest)
        self.summary = Summary()
        self._fingerprint = sha256(f"{PIPELINE_VERSION}|{settings.chunk_tokens}|"
                                   f"{settings.chunk_overlap_tokens}")[:12]

    # -- the run -------------------------------------------------------------------------
    def run(self, roots: Sequence[Path], prune: bool = False, full: bool = False,
            progress: bool | None = None) -> Summary:
        start = time.perf_counter()
        try:
            with FileLock(str(self.paths.lock), timeout=0):
                self._run(roots, prune, full, progress)
        except Timeout as exc:
            raise IngestError("another ingest is running on this index (lock held); "
                              "try again when it has finished") from exc
        self.summary.seconds = round(time.perf_counter() - start, 2)
        self.manifest.record_run(dict(self.summary.as_dict(), finished=time.time(),
                                      embeddings=self.embeddings.name))
        return self.summary

    def _run(self, roots: Sequence[Path], prune: bool, full: bool, progress: bool | None) -> None:
        if full:
            self._reset()
        self.collection = open_collection(self.settings, self.embeddings.name, create=True)
        built_with = (self.collection.metadata or {}).get("embeddings")
        if built_with and built_with != self.embeddings.name:
            raise IngestError(f"the index was built with embeddings {built_with!r}, not "
                              f"{self.embeddings.name!r}; rebuild it with --full")
        stale = self.paths.root / "lexical.stale"
        files = list(walk(roots))
        known, seen = self.manifest.files(), set()
        from tqdm import tqdm

        bar = tqdm(files, unit="file", disable=not (progress if progress is not None
                                                    else sys.stderr.isatty()))
        for path, source in bar:
            seen.add(source)
            if loader_for(source) is None:
                self.summary.files_ignored += 1
                continue
            self.summary.files += 1
            stale.touch()
            self._ingest_file(path, source, known.get(source))
        if prune:
            gone = sorted(set(known) - seen)
            for source in gone:
                stale.touch()
                self._remove_source(source)
            self.manifest.remove(gone)
        if stale.exists() or not self.paths.lexical.exists():
            self._rebuild_lexical()
            self.paths.bump_version()
            stale.unlink(missing_ok=True)

    def _reset(self) -> None:
        client = chroma_client(self.settings)
        if self.settings.collection in [c.name for c in client.list_collections()]:
            client.delete_collection(self.settings.collection)
        self.manifest.clear()
        shutil.rmtree(self.paths.lexical, ignore_errors=True)

    # -- one file ------------------------------------------------------------------------
    def _ingest_file(self, path: Path, source: str, known_hash: str | None) -> None:
        try:
            size = path.stat().st_size
            limit = self.settings.max_file_mb * 1024 * 1024
            if size > limit:
                raise LoadError(f"file is {size / 1e6:.1f} MB, larger than the limit of "
                                f"{self.settings.max_file_mb:g} MB (NRO_MAX_FILE_MB)")
            if size == 0:
                raise LoadError("the file is empty (0 bytes)")
            data = path.read_bytes()
            file_hash = f"{sha256(data)}:{self._fingerprint}"
            if file_hash == known_hash:
                self.summary.files_unchanged += 1
                return
            docs = loader_for(source)(data, source)  # type: ignore[misc]
        except LoadError as exc:
            self._fail(source, str(exc))
            return
        except OSError as exc:
            self._fail(source, f"cannot read the file ({exc.strerror or exc})")
            return
        except Exception as exc:  # a loader bug must not stop the run
            log.exception("unexpected error in %s", source)
            self._fail(source, f"unexpected error ({type(exc).__name__}: {exc})")
            return
        chunks = [c for d in docs for c in chunk_document(
            d, self.settings.chunk_tokens, self.settings.chunk_overlap_tokens)]
        self._replace_chunks(source, chunks, existed=known_hash is not None)
        self.manifest.put(source, file_hash, [d.doc_id for d in docs], len(chunks))
        self.summary.documents += len(docs)

    def _fail(self, source: str, reason: str) -> None:
        self.summary.errors.append((source, reason))
        log.warning("skipped %s: %s", source, reason)
        if self._source_ids(source):  # a file that broke keeps no stale chunks of an old version
            self._remove_source(source)
            self.manifest.remove([source])

    def _source_ids(self, source: str) -> set[str]:
        return set(self.collection.get(where={"source": source}, include=[])["ids"])

    def _replace_chunks(self, source: str, chunks: list[Chunk], existed: bool) -> None:
        existing = self._source_ids(source)
        new = [c for c in chunks if c.id not in existing]
        obsolete = existing - {c.id for c in chunks}
        vectors = self._embed(new)
        for start in range(0, len(new), CHROMA_MAX_BATCH):
            part = new[start:start + CHROMA_MAX_BATCH]
            self.collection.upsert(ids=[c.id for c in part], documents=[c.text for c in part],
                                   metadatas=[c.metadata for c in part],
                                   embeddings=[vectors[str(c.metadata["content_hash"])] for c in part])
        self._delete(sorted(obsolete))
        if existed or existing:
            self.summary.chunks_updated += len(new)
        else:
            self.summary.chunks_added += len(new)
        self.summary.chunks_removed += len(obsolete)
        self.summary.chunks_unchanged += len(chunks) - len(new)

    def _embed(self, chunks: list[Chunk]) -> dict[str, list[float]]:
        hashes = list(dict.fromkeys(str(c.metadata["content_hash"]) for c in chunks))
        found = self.cache.get_many(hashes)
        self.summary.embeddings_cached += len(found)
        todo = [c for c in chunks if c.metadata["content_hash"] not in found]
        todo = list({c.metadata["content_hash"]: c for c in todo}.values())
        size = self.settings.embed_batch_size
        for start in range(0, len(todo), size):
            part = todo[start:start + size]
            matrix = self.embeddings.embed_passages([c.text for c in part])
            fresh = {str(c.metadata["content_hash"]): v for c, v in zip(part, matrix)}
            self.cache.put_many(fresh)  # committed per batch: a killed run keeps its work
            found.update(fresh)
            self.summary.embedded += len(part)
        return {h: v.tolist() for h, v in found.items()}

    def _delete(self, ids: list[str]) -> None:
        for start in range(0, len(ids), CHROMA_MAX_BATCH):
            self.collection.delete(ids=ids[start:start + CHROMA_MAX_BATCH])

    def _remove_source(self, source: str) -> None:
        ids = sorted(self._source_ids(source))
        self._delete(ids)
        self.summary.chunks_removed += len(ids)

    # -- lexical index -------------------------------------------------------------------
    def _rebuild_lexical(self) -> None:
        ids, texts, metas = all_chunks(self.collection)
        LexicalIndex.build(ids, texts, metas).save(self.paths.lexical)


def all_chunks(collection, page: int = 5000) -> tuple[list[str], list[str], list[dict]]:  # noqa: ANN001
    """Every chunk of the collection, in a stable order (sorted by id)."""
    ids: list[str] = []
    texts: list[str] = []
    metas: list[dict] = []
    offset = 0
    while True:
        got = collection.get(include=["documents", "metadatas"], limit=page, offset=offset)
        if not got["ids"]:
            break
        ids += got["ids"]
        texts += got["documents"]
        metas += got["metadatas"]
        offset += len(got["ids"])
    order = sorted(range(len(ids)), key=ids.__getitem__)
    return [ids[i] for i in order], [texts[i] for i in order], [metas[i] for i in order]
