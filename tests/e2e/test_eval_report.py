"""The `nro eval` HTML report opens in a real browser and shows its tables and charts."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from assistant.cli import main as cli

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def test_report_renders_with_tables_and_charts(bow_index, tmp_path: Path) -> None:  # noqa: ANN001
    from playwright.sync_api import sync_playwright

    out = tmp_path / "report"
    golden = ROOT / "tests" / "golden" / "golden.jsonl"
    result = CliRunner().invoke(cli, ["eval", str(golden), "--index", str(bow_index.index_dir),
                                      "--report", str(out)], env={"NRO_EMBEDDINGS": "fake-bow",
                                                                  "NRO_REFUSAL_THRESHOLD": "0"})
    assert result.exit_code == 0, result.output
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 1400})
        outside: list[str] = []
        page.on("request", lambda r: outside.append(r.url) if not r.url.startswith("file:") else None)
        page.goto((out / "report.html").as_uri())
        assert page.locator("h1").inner_text() == "Kwaliteit van de Kennisassistent"
        kinds = page.locator("table").first.inner_text()
        for label in ("Beantwoordbaar", "Buiten onderwijs", "Niet in de kennisbank"):
            assert label in kinds
        widths = page.eval_on_selector_all("img", "imgs => imgs.map(i => i.naturalWidth)")
        assert len(widths) >= 2 and all(w > 100 for w in widths)  # the charts really loaded
        page.screenshot(path=str(ARTIFACTS / "eval-report.png"), full_page=False)
        browser.close()
    assert outside == []
