"""Real servers and the CLI on the real corpus: a `chroma run` server on loopback, the e5
model on a handful of texts, `nro status`, `nro ask` (incl. stdin JSONL and filters), and the
golden-set quality gate through `nro eval --fail-under`."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
from pathlib import Path

import httpx
import numpy as np
import pytest
from click.testing import CliRunner

from assistant.cli import main as cli
from assistant.embeddings import make_embeddings
from assistant.retrieve import Retriever
from ingest.pipeline import Ingestor
from tests.conftest import CORPUS, ROOT, make_settings

GOLDEN = ROOT / "tests" / "golden" / "golden.jsonl"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def chroma_server(tmp_path: Path):  # noqa: ANN201
    port = _free_port()
    exe = shutil.which("chroma") or str(Path(__import__("sys").executable).parent / "chroma")
    proc = subprocess.Popen([exe, "run", "--path", str(tmp_path / "chroma-server"),
                             "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            if httpx.get(f"{url}/api/v2/heartbeat", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    else:
        proc.kill()
        raise RuntimeError("chroma run did not start")
    yield url
    proc.terminate()
    proc.wait(timeout=20)


def test_ingest_and_search_through_a_chroma_server(chroma_server: str, tmp_path: Path) -> None:
    root = tmp_path / "kb"
    shutil.copytree(CORPUS / "overzichten", root / "overzichten")
    settings = make_settings(tmp_path / "index", embeddings="fake-bow", chroma_url=chroma_server)
    first = Ingestor(settings).run([root], progress=False)
    assert first.chunks_added > 0 and not first.errors
    assert not (settings.index_dir / "chroma").exists()  # nothing embedded on disk
    again = Ingestor(settings).run([root], progress=False)
    assert again.embedded == 0 and again.files_unchanged == first.files
    sources = Retriever(settings).search("Wat weten we over pesten en sociale veiligheid?").sources
    assert sources[0].meta["source"] == "overzichten/sociale-veiligheid-en-pesten.md"
    result = CliRunner().invoke(cli, ["status", "--json", "--index", str(settings.index_dir)],
                                env={"NRO_CHROMA_URL": chroma_server})
    info = json.loads(result.output)
    assert info["documents"] == {"overzicht": 9} and info["chroma"] == chroma_server


def test_e5_puts_dutch_and_english_questions_near_the_right_passage() -> None:
    e5 = make_embeddings("e5")
    passages = e5.embed_passages([
        "Huiswerk in de basisschool heeft weinig effect op de leerprestaties.",
        "Een telefoonverbod in de klas vermindert afleiding tijdens de les.",
        "Onderwijsassistenten zijn het meest effectief met een gestructureerd programma.",
    ])
    assert passages.shape == (3, 384) and np.allclose(np.linalg.norm(passages, axis=1), 1, atol=1e-3)
    for question, best in [("Helpt huiswerk kinderen op de basisschool?", 0),
                           ("Should phones be banned in class?", 1),
                           ("Hoe zet ik een klassenassistent goed in?", 2)]:
        assert int(np.argmax(passages @ e5.embed_query(question))) == best, question


def test_status_counts_every_product_type(corpus_index) -> None:  # noqa: ANN001
    result = CliRunner().invoke(cli, ["status", "--json", "--index", str(corpus_index.index_dir)],
                                env={"NRO_EMBEDDINGS": "e5"})
    info = json.loads(result.output)
    docs = info["documents"]
    assert docs["kennisrotonde"] >= 36 and docs["overzicht"] >= 8
    assert docs["guidance"] >= 3 and docs["project"] >= 30
    assert info["embeddings"] == "e5" and info["version"] >= 1
    assert info["last_run"]["errors"] == []


def test_ask_json_and_stdin_lines(corpus_index) -> None:  # noqa: ANN001
    index = str(corpus_index.index_dir)
    runner = CliRunner()
    one = runner.invoke(cli, ["ask", "Heeft huiswerk in groep 6 eigenlijk zin?", "--json",
                              "--index", index])
    data = json.loads(one.output)
    assert not data["refused"] and data["citations"][0]["doc_type"] == "kennisrotonde"
    assert "[1]" in data["answer"] and data["timings_ms"]["total"] > 0
    lines = runner.invoke(cli, ["ask", "-", "--index", index], input=(
        "Werkt een plusklas?\nWat is het recept voor appeltaart?\n"
        + json.dumps({"q": "En in het vo?", "history": [
            {"role": "user", "content": "Heeft huiswerk in de basisschool zin?"}]}) + "\n"))
    objs = [json.loads(ln) for ln in lines.output.splitlines()]
    assert [o["refused"] for o in objs] == [False, True, False]
    assert "vraag-stellen" in objs[1]["answer"]
    assert "Heeft huiswerk" in objs[2]["standalone_question"]
    vo = runner.invoke(cli, ["ask", "Welke feedback werkt?", "--json", "--sector", "mbo",
                             "--type", "kennisrotonde", "--index", index])
    for c in json.loads(vo.output)["citations"]:
        assert c["doc_type"] == "kennisrotonde"
    gaps = (corpus_index.index_dir / "gaps.jsonl").read_text().splitlines()
    assert any("appeltaart" in g for g in gaps)


def test_guidance_citations_open_the_pdf_at_the_cited_page(corpus_index) -> None:  # noqa: ANN001
    result = CliRunner().invoke(cli, ["ask", "Hoe zet ik een onderwijsassistent effectief in?",
                                      "--json", "--type", "guidance",
                                      "--index", str(corpus_index.index_dir)])
    c = json.loads(result.output)["citations"][0]
    assert c["doc_type"] == "guidance" and isinstance(c["page"], int)
    assert c["url"].endswith(f"#page={c['url'].rsplit('=', 1)[1]}") and "#page=" in c["url"]


def test_golden_set_quality_gate(corpus_index, tmp_path: Path) -> None:  # noqa: ANN001
    """The acceptance thresholds of the answering core, measured on the bundled golden set."""
    out = tmp_path / "report"
    result = CliRunner().invoke(cli, [
        "eval", str(GOLDEN), "--index", str(corpus_index.index_dir), "--report", str(out),
        "--fail-under", "hit5=0.95,hit1=0.85,out_of_scope_refused=0.95,not_covered_refused=0.7,"
                        "in_scope_refused=0.05,citation_precision=0.9"])
    assert result.exit_code == 0, result.output
    for name in ("summary.md", "results.json", "report.html", "quality.png", "refusals.png"):
        assert (out / name).stat().st_size > 0
    summary = json.loads((out / "results.json").read_text())["summary"]
    assert summary["english_hit5"] >= 0.8 and summary["follow_up_hit5"] >= 0.8


def test_eval_gate_fails_when_a_metric_misses(corpus_index) -> None:  # noqa: ANN001
    result = CliRunner().invoke(cli, ["eval", str(GOLDEN), "--index", str(corpus_index.index_dir),
                                      "--fail-under", "hit1=1.01"])
    assert result.exit_code == 2 and "FAIL hit1" in result.output
