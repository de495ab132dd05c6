"""Turn an :class:`~assistant.answer.Answer` into what the chat shows, without Chainlit.

- the message text (Markdown with ``[n]`` citations and the Dutch source list),
- one source element per numbered source, named ``[n]`` so that the chat turns every ``[n]``
  in the text into a link that opens it (a guidance-report PDF opens at the cited page),
- the text of the visible retrieval step, the starters and the filter choices.

Everything that comes from a document or a user goes through :func:`inert` first: HTML is
shown as text and Markdown images become plain text, so that nothing in a document can run a
script or make the visitor's browser contact another host.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from assistant.answer import Answer, dutch_date, source_link, type_label
from assistant.retrieve import Filters, Source
from assistant.service import Turn

# label shown on the button -> the question it asks (all four are answered by the corpus)
STARTERS: list[tuple[str, str]] = [
    ("Huiswerk op de basisschool",
     "Heeft huiswerk in de basisschool effect op de leerprestaties?"),
    ("Smartphones in de klas", "Werkt een verbod op smartphones in de klas?"),
    ("Feedback die werkt", "Hoe geef ik feedback die leerlingen echt verder helpt?"),
    ("Zittenblijven", "Heeft zittenblijven in het basisonderwijs zin?"),
]

ALL = "Alle"
SECTORS: dict[str, str] = {"Alle sectoren": "", "Primair onderwijs (po)": "po",
                           "Voortgezet onderwijs (vo)": "vo", "Mbo": "mbo",
                           "Hoger onderwijs (ho)": "ho"}
DOC_TYPES: dict[str, str] = {"Alle kennisproducten": "",
                             "Kennisrotonde-antwoorden": "kennisrotonde",
                             "Thematische overzichten": "overzicht",
                             "Guidance reports": "guidance",
                             "Onderzoeksprojecten": "project"}
SECTOR_SETTING, TYPE_SETTING = "sector", "doc_type"

_WORDS = re.compile(r"\S+\s*")
_BANG = re.compile(r"!(\[)?")


def inert(text: str) -> str:
    """Markdown that shows ``text`` as written but cannot load or run anything.

    ``<`` becomes an entity (no HTML tag, no autolink), ``!`` and an image's ``[`` are
    escaped (no image, and no link to where the image was), and a
    backslash is escaped so that it cannot undo the escaping. Works token by token too, which
    matters while an answer streams in.
    """
    text = _BANG.sub(lambda m: "\\!" + ("\\[" if m.group(1) else ""), text.replace("\\", "\\\\"))
    return text.replace("<", "&lt;")


def filters_from(chat_settings: dict | None) -> Filters | None:
    """The retrieval filters chosen in the chat settings (labels as shown in the select)."""
    chat_settings = chat_settings or {}
    sector = SECTORS.get(str(chat_settings.get(SECTOR_SETTING) or ""), "")
    doc_type = DOC_TYPES.get(str(chat_settings.get(TYPE_SETTING) or ""), "")
    if not sector and not doc_type:
        return None
    return Filters(sectors=(sector,) if sector else (), doc_types=(doc_type,) if doc_type else ())


def message_markdown(answer: Answer, form_url: str) -> str:
    """The full message: notice, answer with [n], source list; the form URL as a link."""
    text = inert(answer.markdown())
    if answer.refused and form_url:
        text = text.replace(inert(form_url), f"[{inert(form_url)}]({form_url})")
    return text


def stream_pieces(text: str, words: int = 3) -> list[str]:
    """Split text into groups of a few words (whitespace kept) for streaming."""
    parts = _WORDS.findall(text)
    lead = text[: len(text) - len(text.lstrip())]
    pieces = ["".join(parts[i:i + words]) for i in range(0, len(parts), words)]
    if lead and pieces:
        pieces[0] = lead + pieces[0]
    return pieces or ([text] if text else [])


@dataclass
class SourceElement:
    """What the chat attaches for one numbered source (display "side", name ``[n]``)."""

    name: str
    kind: str  # "text" or "pdf"
    content: str = ""
    path: Path | None = None
    page: int | None = None


def _passage_meta(source: Source) -> dict:
    return source.passages[0].meta if source.passages else source.meta


def source_text(answer: Answer, source: Source) -> str:
    """Markdown of a source panel: what it is, the passage the answer used, the link."""
    meta = _passage_meta(source)
    date = dutch_date(str(source.meta.get("published") or ""))
    lines = [f"**{inert(type_label(meta))}**: {inert(source.title)}"
             + (f" ({date})" if date else "")]
    quote = answer.quote(source)
    if quote:
        lines.append("> " + inert(quote).replace("\n", "\n> "))
    if source.passages:
        body = source.passages[0].text.split("\n", 1)[-1].strip()
        if body and body != quote:
            lines.append("**Passage**\n\n" + _plain_headings(inert(body)))
    link = source_link(source)
    if link:
        page = meta.get("page_label") or meta.get("page")
        label = (f"Open het rapport op pagina {page}" if meta.get("doc_type") == "guidance"
                 and page else "Lees het volledige document")
        lines.append(f"[{label}]({link})")
    return "\n\n".join(lines)


def _plain_headings(text: str) -> str:
    """Headings inside a passage become bold lines (they are not headings of the panel)."""
    return re.sub(r"^#{1,6}\s+(.+)$", r"**\1**", text, flags=re.M)


def _local_pdf(source: Source, sources_dir: Path | None) -> tuple[Path, int] | None:
    meta = _passage_meta(source)
    rel, page = str(meta.get("source") or source.meta.get("source") or ""), meta.get("page_index")
    if not sources_dir or not rel.lower().endswith(".pdf") or not page:
        return None
    path = (Path(sources_dir) / rel).resolve()
    if not path.is_file() or not path.is_relative_to(Path(sources_dir).resolve()):
        return None
    return path, int(page)


def source_elements(answer: Answer, sources_dir: Path | None = None) -> list[SourceElement]:
    """One element per source; a guidance-report PDF found locally opens at the cited page."""
    if answer.refused:
        return []
    out = []
    for source in answer.sources:
        pdf = _local_pdf(source, sources_dir)
        if pdf:
            out.append(SourceElement(f"[{source.n}]", "pdf", path=pdf[0], page=pdf[1]))
        else:
            out.append(SourceElement(f"[{source.n}]", "text", content=source_text(answer, source)))
    return out


def retrieval_summary(answer: Answer) -> str:
    """Output of the visible "Zoeken in de kennisbank" step."""
    lines = []
    if answer.standalone_question and answer.standalone_question != answer.question:
        lines.append(f"Zoekvraag: {inert(answer.standalone_question)}")
    if answer.refused or not answer.sources:
        lines.append("Geen bronnen gevonden die deze vraag goed genoeg beantwoorden.")
    else:
        lines.append(f"{len(answer.sources)} bronnen gevonden:")
        lines += [f"{s.n}. {inert(type_label(_passage_meta(s)))}: {inert(s.title)}"
                  for s in answer.sources]
    return "\n".join(lines)


def turns_from_steps(steps: list[dict]) -> list[Turn]:
    """Chat history (for follow-up questions) from the steps of a stored thread."""
    turns = []
    for step in steps:
        if step.get("type") == "user_message":
            turns.append(Turn("user", str(step.get("output") or "")))
        elif step.get("type") == "assistant_message" and step.get("output"):
            text = str(step["output"]).split("\n\n**Bronnen**", 1)[0]
            turns.append(Turn("assistant", text))
    return turns
