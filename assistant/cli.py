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
        settings = settings.model_copy(update={"index_dir": index,
                                               "gaps_log": index / "gaps.jsonl"})
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


def _filters(sector: tuple[str, ...], doc_type: tuple[str, ...], since: str, until: str):  # noqa: ANN202
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


if __name__ == "__main__":  # pragma: no cover
    main()
