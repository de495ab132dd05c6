"""Ingest for real: Chroma on disk, real files from the corpus, broken files, crashes, locks."""

from __future__ import annotations

import io
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from assistant.cli import main as cli
from assistant.index import open_collection
from ingest.pipeline import IngestError, Ingestor
from tests.conftest import CORPUS, make_settings

SAMPLE = ["kennisrotonde/kr-9001-huiswerk-po.md", "kennisrotonde/kr-9003-effectieve-feedback.md",
          "kennisrotonde/kr-9026-smartphones-klas.md", "kennisrotonde/html/kr-9034-onderwijsassistenten.html",
          "overzichten/feedback.md", "guidance/effectieve-feedback.pdf", "projecten/projecten.csv"]


@pytest.fixture
def kb(tmp_path: Path) -> Path:
    """A small knowledge base copied from the corpus."""
    root = tmp_path / "kb"
    for rel in SAMPLE:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(CORPUS / rel, root / rel)
    return root


def _chunks(settings) -> dict[str, dict]:  # noqa: ANN001
    got = open_collection(settings, "fake").get(include=["metadatas"])
    return dict(zip(got["ids"], got["metadatas"]))


def test_reingest_is_a_no_op(kb: Path, settings) -> None:  # noqa: ANN001
    first = Ingestor(settings).run([kb], progress=False)
    assert first.errors == [] and first.files == len(SAMPLE)
    assert first.chunks_added > 0 and first.embedded == first.chunks_added
    before = _chunks(settings)
    second = Ingestor(settings).run([kb], progress=False)
    assert second.embedded == 0 and second.documents == 0
    assert second.files_unchanged == len(SAMPLE) and second.chunks_added == 0
    assert _chunks(settings).keys() == before.keys()


def test_metadata_of_each_product_type(kb: Path, settings) -> None:  # noqa: ANN001
    Ingestor(settings).run([kb], progress=False)
    metas = list(_chunks(settings).values())
    types = {m["doc_type"] for m in metas}
    assert types == {"kennisrotonde", "overzicht", "guidance", "project"}
    pdf = [m for m in metas if m["doc_type"] == "guidance"]
    assert all(isinstance(m["page"], int) and m["page_label"] for m in pdf)
    assert {m["page_label"] for m in pdf} >= {"ii", "1", "2"}
    kr = [m for m in metas if m.get("kr_number") == 9001]
    assert kr and all(m["sector_po"] and m["published"] == "2021-05-03" for m in kr)


def test_edit_replaces_only_that_documents_chunks(kb: Path, settings) -> None:  # noqa: ANN001
    Ingestor(settings).run([kb], progress=False)
    before = _chunks(settings)
    target = kb / "kennisrotonde/kr-9001-huiswerk-po.md"
    target.write_text(target.read_text().replace("## Kort antwoord\n", "## Kort antwoord\nNieuw inzicht. "))
    summary = Ingestor(settings).run([kb], progress=False)
    after = _chunks(settings)
    changed = {i for i in before.keys() ^ after.keys()}
    assert changed and all((before.get(i) or after.get(i))["source"].endswith("kr-9001-huiswerk-po.md")
                           for i in changed)
    assert summary.files_unchanged == len(SAMPLE) - 1 and summary.chunks_updated >= 1
    assert summary.embedded == summary.chunks_updated  # only the edited chunks are embedded


def test_prune_removes_vanished_documents(kb: Path, settings) -> None:  # noqa: ANN001
    Ingestor(settings).run([kb], progress=False)
    (kb / "overzichten/feedback.md").unlink()
    kept = Ingestor(settings).run([kb], progress=False)
    assert any(m["source"] == "overzichten/feedback.md" for m in _chunks(settings).values())
    assert kept.chunks_removed == 0
    pruned = Ingestor(settings).run([kb], prune=True, progress=False)
    assert pruned.chunks_removed > 0
    assert not any(m["source"] == "overzichten/feedback.md" for m in _chunks(settings).values())


def test_full_rebuild_reuses_cached_embeddings(kb: Path, settings) -> None:  # noqa: ANN001
    first = Ingestor(settings).run([kb], progress=False)
    rebuilt = Ingestor(settings).run([kb], full=True, progress=False)
    assert rebuilt.embedded == 0 and rebuilt.embeddings_cached == first.chunks_added
    assert len(_chunks(settings)) == first.chunks_added


def _broken_files(root: Path) -> dict[str, str]:
    """Bad files next to the good ones, with the word each reason must contain."""
    from pypdf import PdfReader, PdfWriter

    good_pdf = (CORPUS / "guidance/effectieve-feedback.pdf").read_bytes()
    writer = PdfWriter()
    writer.add_page(PdfReader(io.BytesIO(good_pdf)).pages[0])
    writer.encrypt("geheim")
    buf = io.BytesIO()
    writer.write(buf)
    files = {
        "kapot/versleuteld.pdf": (buf.getvalue(), "encrypted"),
        "kapot/afgebroken.pdf": (good_pdf[: len(good_pdf) // 2], "PDF"),
        "kapot/leeg.md": (b"", "empty"),
        "kapot/plaatje.html": (os.urandom(4096) + b"\x00", "binary"),
        "kapot/latin1.txt": ("Caf\u00e9 en cr\u00e8me".encode("latin-1"), "UTF-8"),
        "kapot/voorblad.md": (b"---\ntitle: [open\nsectors: po\n---\n# T\n\nTekst\n", "front matter"),
    }
    for rel, (data, _) in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    return {rel: word for rel, (_, word) in files.items()}


def test_broken_files_are_named_and_the_rest_is_ingested(kb: Path, tmp_path: Path) -> None:
    clean = make_settings(tmp_path / "clean", embeddings="fake")
    Ingestor(clean).run([kb], progress=False)
    expected = _broken_files(kb)
    index = tmp_path / "index"
    env = {"NRO_EMBEDDINGS": "fake"}
    result = CliRunner().invoke(cli, ["ingest", str(kb), "--index", str(index)], env=env)
    assert result.exit_code == 3, result.output
    for rel, word in expected.items():
        line = next(ln for ln in result.output.splitlines() if ln.startswith(f"skipped {rel}:"))
        assert word.lower() in line.lower(), line
    assert f"{len(expected)} file(s) skipped" in result.output
    broken = make_settings(index, embeddings="fake")
    assert _chunks(broken).keys() == _chunks(clean).keys()  # consistent: exactly the good files


def test_a_huge_file_is_refused_by_name_without_reading_it(kb: Path, settings) -> None:  # noqa: ANN001
    big = kb / "groot.txt"
    with open(big, "wb") as fh:
        fh.truncate(50 * 1024 * 1024)  # 50 MB, sparse: costs no disk
    summary = Ingestor(settings).run([kb], progress=False)
    (reason,) = [r for s, r in summary.errors if s == "groot.txt"]
    assert "52.4 MB" in reason and "NRO_MAX_FILE_MB" in reason
    assert summary.files == len(SAMPLE) + 1 and len(summary.errors) == 1


def test_one_writer_at_a_time(kb: Path, settings) -> None:  # noqa: ANN001
    from filelock import FileLock

    from assistant.index import IndexPaths

    paths = IndexPaths(settings.index_dir)
    paths.root.mkdir(parents=True)
    with FileLock(str(paths.lock)):
        with pytest.raises(IngestError, match="another ingest"):
            Ingestor(settings).run([kb], progress=False)


def test_kill_9_then_rerun_gives_the_same_index(kb: Path, tmp_path: Path) -> None:
    """A run killed mid-way (real e5 embeddings, so it is slow enough to kill) is repaired."""
    env = dict(os.environ, NRO_EMBEDDINGS="e5", NRO_EMBED_BATCH_SIZE="4")
    index = tmp_path / "killed"
    cmd = [sys.executable, "-m", "assistant.cli", "ingest", str(kb), "--index", str(index)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    cache = index / "embcache.sqlite"
    deadline = time.time() + 300
    while time.time() < deadline:  # wait until some, not all, chunks are embedded and stored
        if cache.exists():
            with sqlite3.connect(cache) as db:
                if db.execute("SELECT count(*) FROM vectors").fetchone()[0] >= 12:
                    break
        time.sleep(0.2)
    assert proc.poll() is None, "ingest finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    rerun = subprocess.run(cmd, env=env, capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    again = subprocess.run(cmd + ["--json"], env=env, capture_output=True, text=True)
    assert '"embedded": 0' in again.stdout
    killed = make_settings(index, embeddings="e5")
    got = open_collection(killed, "e5").get(include=["metadatas"])
    ids = got["ids"]
    assert len(ids) == len(set(ids))
    keys = [(m["doc_id"], m["chunk_index"]) for m in got["metadatas"]]
    assert len(keys) == len(set(keys)), "duplicate chunks after the crash"
    clean = make_settings(tmp_path / "clean", embeddings="fake")
    Ingestor(clean).run([kb], progress=False)  # ids do not depend on the embeddings
    assert set(ids) == set(_chunks(clean))


def test_a_changed_chunking_setting_reparses_but_reuses_embeddings(kb: Path, settings) -> None:  # noqa: ANN001
    first = Ingestor(settings).run([kb], progress=False)
    bigger = settings.model_copy(update={"chunk_tokens": 600})
    rerun = Ingestor(bigger).run([kb], progress=False)
    assert rerun.files_unchanged == 0 and rerun.documents == first.documents
    assert rerun.chunks_removed > 0 and len(_chunks(bigger)) < first.chunks_added
