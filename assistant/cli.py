"""The ``nro`` command: ingest, status, ask, eval, serve, feedback, gaps.

Every command works offline with the defaults and has ``--help``. Output for people is
English (this is a staff tool); answers themselves are Dutch.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import click

from assistant.settings import Settings, load_settings


def _settings(index: Path | None) -> Settings:
    settings = load_settings()
    if index is not None:
        update: dict[str, object] = {"index_dir": index}
        if settings.gaps_log == settings.index_dir / "gaps.jsonl":  # the default follows
            update["gaps_log"] = index / "gaps.jsonl"
        settings = settings.model_copy(update=update)
    return settings


index_option = click.option("--index", "index", type=click.Path(path_type=Path), default=None,
                            help="Index folder (default: NRO_INDEX_DIR or ./index).")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Log debug information to stderr.")
def main(verbose: bool) -> None:
    """Kennisassistent: answers from NRO's knowledge products, with sources."""
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@index_option
@click.option("--prune", is_flag=True, help="Remove documents whose files are gone from PATHS.")
@click.option("--full", is_flag=True, help="Rebuild the index from scratch (cached embeddings "
              "are reused).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def ingest(paths: tuple[Path, ...], index: Path | None, prune: bool, full: bool,
           as_json: bool) -> None:
    """Ingest files and folders (Markdown, HTML, PDF, text, CSV/JSON project exports).

    Unchanged files are skipped; changed files replace their chunks. Exit code 0: all files
    ingested; 3: some files skipped (listed with a reason); 1: the run failed.

    \b
    Examples:
      nro ingest corpus/
      nro ingest corpus/ --prune      # also drop documents whose files are gone
      nro ingest corpus/ --full       # rebuild from scratch
    """
    from ingest.pipeline import IngestError, Ingestor

    settings = _settings(index)
    try:
        summary = Ingestor(settings).run(list(paths), prune=prune, full=full)
    except IngestError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    if as_json:
        click.echo(json.dumps(summary.as_dict(), ensure_ascii=False))
    else:
        s = summary
        click.echo(f"files: {s.files} ({s.files_unchanged} unchanged, {s.files_ignored} ignored)"
                   f" · documents parsed: {s.documents}")
        click.echo(f"chunks: {s.chunks_added} added, {s.chunks_updated} updated, "
                   f"{s.chunks_removed} removed, {s.chunks_unchanged} unchanged")
        click.echo(f"embeddings: {s.embedded} computed, {s.embeddings_cached} from cache"
                   f" · {s.seconds:.1f} s")
        for source, reason in s.errors:
            click.echo(f"skipped {source}: {reason}", err=True)
        if s.errors:
            click.echo(f"{len(s.errors)} file(s) skipped", err=True)
    sys.exit(summary.exit_code)


@main.command()
@index_option
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def status(index: Path | None, as_json: bool) -> None:
    """Show documents and chunks per product type, embedding model, index version, last run.

    \b
    Examples:
      nro status
      nro status --json
    """
    from assistant.status import index_status

    info = index_status(_settings(index))
    if as_json:
        click.echo(json.dumps(info, ensure_ascii=False))
        return
    if not info["chunks_total"]:
        click.echo(f"The index in {info['index_dir']} is empty; run `nro ingest corpus/`.")
        return
    click.echo(f"index {info['index_dir']} · version {info['version']} · "
               f"embeddings {info['embeddings']}")
    for doc_type, n in sorted(info["documents"].items()):
        click.echo(f"  {doc_type:<14} {n:>5} documents {info['chunks'][doc_type]:>6} chunks")
    run = info.get("last_run")
    if run:
        click.echo(f"last ingest: {run['files']} files, {len(run['errors'])} skipped, "
                   f"{run['seconds']} s")


def _filters(sector: tuple[str, ...], doc_type: tuple[str, ...], since: str, until: str):
    from assistant.retrieve import Filters

    return Filters(sectors=sector, doc_types=doc_type, date_from=since, date_to=until)


@main.command()
@click.argument("question")
@index_option
@click.option("--json", "as_json", is_flag=True, help="Print the answer object as JSON.")
@click.option("--sector", multiple=True, type=click.Choice(["po", "vo", "mbo", "ho"]),
              help="Only sources for this sector (repeatable).")
@click.option("--type", "doc_type", multiple=True,
              type=click.Choice(["kennisrotonde", "overzicht", "guidance", "project", "other"]),
              help="Only sources of this product type (repeatable).")
@click.option("--since", default="", help="Only sources published on or after this ISO date.")
@click.option("--until", default="", help="Only sources published on or before this ISO date.")
@click.option("--retrieval", type=click.Choice(["hybrid", "bm25", "dense"]), default=None,
              help="Retrieval mode (default: NRO_RETRIEVAL or hybrid).")
def ask(question: str, index: Path | None, as_json: bool, sector: tuple[str, ...],
        doc_type: tuple[str, ...], since: str, until: str, retrieval: str | None) -> None:
    """Answer a QUESTION from the index, with numbered sources.

    QUESTION '-' reads one question per line from stdin and writes one JSON object per line
    (a line may also be a JSON object {"q": ..., "history": [...]}).

    \b
    Examples:
      nro ask "Heeft huiswerk in groep 6 zin?"
      nro ask "Werkt een telefoonverbod?" --sector vo --json
      printf 'Helpt een plusklas?\nWat weten we over pesten?\n' | nro ask -
    """
    from assistant.service import Assistant

    settings = _settings(index)
    try:
        assistant = Assistant(settings)
    except FileNotFoundError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    filters = _filters(sector, doc_type, since, until)
    if question == "-":
        for line in sys.stdin:
            if line.strip():
                q, history = _parse_line(line)
                answer = assistant.ask(q, history=history, filters=filters, mode=retrieval)
                click.echo(json.dumps(answer.to_json(), ensure_ascii=False))
        return
    answer = assistant.ask(question, filters=filters, mode=retrieval)
    if as_json:
        click.echo(json.dumps(answer.to_json(), ensure_ascii=False, indent=2))
    else:
        click.echo(answer.markdown())


@main.command("eval")
@click.argument("golden", type=click.Path(exists=True, path_type=Path))
@index_option
@click.option("--report", "report_dir", type=click.Path(path_type=Path), default=None,
              help="Write summary.md, results.json and report.html (with charts) here.")
@click.option("--fail-under", default="", help="Exit 2 when a metric misses its limit, e.g. "
              "'hit5=0.95,refusal=0.9,in_scope_refused=0.05' (in_scope_refused and latency_* "
              "are upper limits).")
@click.option("--compare", nargs=2, default=None, metavar="A B",
              help="Compare two configurations given as settings, e.g. 'llm=none' 'llm=fake' "
              "or 'retrieval=bm25' 'retrieval=hybrid'.")
@click.option("--calibrate", is_flag=True, help="Fit the refusal weights on this golden set "
              "and print them (see assistant/relevance.py).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def evaluate(golden: Path, index: Path | None, report_dir: Path | None, fail_under: str,
             compare: tuple[str, str] | None, calibrate: bool, as_json: bool) -> None:
    """Measure answer quality on a GOLDEN set (JSONL; format in the README).

    \b
    Examples:
      nro eval tests/golden/golden.jsonl --report out/
      nro eval tests/golden/golden.jsonl --fail-under hit5=0.95,refusal=0.9
      nro eval tests/golden/golden.jsonl --compare 'llm=none' 'llm=fake' --report out/cmp
    """
    from assistant import evaluate as ev

    settings = _settings(index)
    items = ev.load_golden(golden)
    if compare:
        _compare(settings, items, compare, report_dir)
        return
    summary, rows = ev.run_eval(settings, items)
    if calibrate:
        features = ("dense_top", "known_terms", "top_coverage")
        click.echo(json.dumps(ev.calibrate(rows, features), indent=1))
    if report_dir:
        from assistant.report import write_report

        write_report(summary, rows, report_dir)
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False))
    else:
        click.echo(ev.markdown_report(summary, rows, f"Evaluation of {golden.name}"))
    bad = ev.failures(summary, ev.parse_thresholds(fail_under))
    for line in bad:
        click.echo(f"FAIL {line}", err=True)
    sys.exit(2 if bad else 0)


def _compare(settings: Settings, items: list, specs: tuple[str, str],
             report_dir: Path | None) -> None:
    from assistant import evaluate as ev

    results = []
    for spec in specs:
        config = ev.parse_config(spec, settings)
        results.append(ev.run_eval(config, items))
    (sa, ra), (sb, rb) = results
    table = ev.compare(ra, rb)
    lines = [f"| metric | A: {specs[0]} | B: {specs[1]} |", "|---|---|---|"]
    for key in ("hit1", "hit5", "mrr", "ndcg5", "refusal", "in_scope_refused",
                "citation_precision", "answer_words", "latency_ms_p50", "latency_ms_p95"):
        lines.append(f"| {key} | {sa[key]} | {sb[key]} |")
    changed = [r for r in table if r["changed"]]
    lines += ["", f"{len(changed)} questions changed (outcome changes first):", "",
              "| question | kind | A | B |", "|---|---|---|---|"]
    lines += [f"| {r['q']} | {r['kind']} | {r['a']} | {r['b']} |" for r in changed]
    text = "\n".join(lines) + "\n"
    click.echo(text)
    if report_dir:
        report_dir.mkdir(parents=True, exist_ok=True)
        (report_dir / "compare.md").write_text(text, encoding="utf-8")
        (report_dir / "compare.json").write_text(json.dumps(
            {"a": {"config": specs[0], "summary": sa}, "b": {"config": specs[1], "summary": sb},
             "questions": table}, ensure_ascii=False, indent=1), encoding="utf-8")


@main.command()
@index_option
@click.option("--top", default=30, show_default=True, help="How many questions to list.")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def gaps(index: Path | None, top: int, as_json: bool) -> None:
    """List refused questions (knowledge gaps) by frequency, for the Kennisrotonde desk.

    \b
    Examples:
      nro gaps
      nro gaps --top 100 --json > gaps.json
    """
    from assistant.gaps import knowledge_gaps

    settings = _settings(index)
    rows = knowledge_gaps(settings.gaps_log or settings.index_dir / "gaps.jsonl")[:top]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    if not rows:
        click.echo("No refused questions logged yet.")
        return
    for row in rows:
        click.echo(f"{row['count']:>4}  {row['last_seen'][:10]}  {row['question']}")


def _parse_line(line: str) -> tuple[str, list]:
    from assistant.service import Turn

    line = line.strip()
    if line.startswith("{"):
        try:
            obj = json.loads(line)
            history = [Turn(t["role"], t["content"]) for t in obj.get("history") or []]
            return str(obj.get("q") or obj.get("question") or ""), history
        except (json.JSONDecodeError, KeyError, TypeError, AttributeError):
            pass
    return line, []


@main.command()
@index_option
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (0.0.0.0 behind a proxy or in a container).")
@click.option("--corpus", type=click.Path(path_type=Path), default=None,
              help="Folder ingested when the index is empty (default: NRO_SOURCES_DIR, "
              "the bundled corpus/).")
def serve(index: Path | None, port: int, host: str, corpus: Path | None) -> None:
    """Start the chat (full page, Copilot widget, /api/ask) on the index.

    When the index is empty, the bundled corpus is ingested first. The page is Dutch; the
    widget script is served at /copilot/index.js (see docs/web.md).

    \b
    Examples:
      nro serve
      nro serve --port 8080
      NRO_DATABASE_URL=postgresql+asyncpg://nro@db/nro nro serve --host 0.0.0.0
    """
    from assistant.chat import serve as chat_serve

    settings = _settings(index)
    corpus = corpus or Path(settings.sources_dir)
    if not corpus.is_absolute() and not corpus.exists():
        corpus = chat_serve.PROJECT_ROOT / corpus
    settings = settings.model_copy(update={"sources_dir": corpus})
    if chat_serve.ensure_index(settings, corpus, click.echo) == 1:
        click.echo("error: ingesting the corpus failed", err=True)
        sys.exit(1)
    click.echo(f"Kennisassistent: {chat_serve.url_of(host, port)}  (Ctrl+C to stop)")
    sys.exit(chat_serve.run(settings, host, port))


@main.group()
def feedback() -> None:
    """Feedback on chat answers (thumbs and comments) from the chat database."""


@feedback.command("export")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl",
              show_default=True, help="Output format.")
@click.option("--as-golden", is_flag=True, help="Write golden-set lines instead: thumbs up "
              "confirms the cited sources, thumbs down becomes a line to review.")
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None,
              help="Write to this file instead of stdout.")
@index_option
def feedback_export(fmt: str, as_golden: bool, output: Path | None, index: Path | None) -> None:
    """Export every feedback with its question, answer, rating, comment and cited sources.

    Reads NRO_DATABASE_URL (default: the SQLite chat database in the index folder).

    \b
    Examples:
      nro feedback export > feedback.jsonl
      nro feedback export --format csv -o feedback.csv
      nro feedback export --as-golden >> tests/golden/from-feedback.jsonl
    """
    import asyncio

    from assistant.chat import feedback as fb
    from assistant.chat.datalayer import database_url
    from assistant.chat.schema import ensure_schema

    url = database_url(_settings(index))
    asyncio.run(ensure_schema(url))
    rows = asyncio.run(fb.feedback_rows(url))
    if as_golden:
        text = fb.to_jsonl(fb.as_golden(r) for r in rows)
    else:
        text = fb.to_csv(rows) if fmt == "csv" else fb.to_jsonl(rows)
    if output:
        output.write_text(text, encoding="utf-8")
        click.echo(f"{len(rows)} feedback rows written to {output}", err=True)
    else:
        click.echo(text, nl=False)


if __name__ == "__main__":  # pragma: no cover
    main()
