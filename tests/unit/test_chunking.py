"""Chunking: token budget, headings kept with their text, title prefix, stable ids."""

from __future__ import annotations

from ingest.chunking import chunk_document, chunk_id, count_tokens
from ingest.documents import Document, Section


def _doc(sections: list[Section]) -> Document:
    return Document(doc_id="d1", doc_type="kennisrotonde", title="Werkt feedback?", source="a.md",
                    sections=sections, sectors=["po"], published="2021-01-02")


def test_short_sections_share_a_chunk_with_their_headings() -> None:
    chunks = chunk_document(_doc([Section("Kort antwoord", "Ja, meestal."),
                                  Section("Toelichting", "Het hangt af van de taak.")]))
    assert len(chunks) == 1
    text = chunks[0].text
    assert text.startswith("Werkt feedback?\n\n## Kort antwoord\nJa, meestal.")
    assert "## Toelichting\nHet hangt af van de taak." in text


def test_long_section_is_split_within_budget_and_repeats_its_heading() -> None:
    body = "\n\n".join(f"Alinea {i}: " + "leerlingen krijgen gerichte feedback op hun werk. " * 8
                       for i in range(12))
    chunks = chunk_document(_doc([Section("Toelichting", body)]), max_tokens=120, overlap=0)
    assert len(chunks) > 3
    for c in chunks:
        assert c.text.startswith("Werkt feedback?\n\n## Toelichting\n")
        assert count_tokens(c.text) <= 120 + 20  # body budget plus title and heading
        assert c.metadata["section"] == "Toelichting"
    assert [c.metadata["chunk_index"] for c in chunks] == list(range(len(chunks)))


def test_one_giant_sentence_is_cut_hard() -> None:
    chunks = chunk_document(_doc([Section("", "woord " * 2000)]), max_tokens=200, overlap=0)
    assert len(chunks) >= 10 and all(count_tokens(c.text) <= 230 for c in chunks)


def test_ids_are_stable_and_change_with_content() -> None:
    a = chunk_document(_doc([Section("S", "Tekst een.")]))
    b = chunk_document(_doc([Section("S", "Tekst een.")]))
    c = chunk_document(_doc([Section("S", "Tekst twee.")]))
    assert a[0].id == b[0].id != c[0].id
    assert a[0].id == chunk_id("d1", 0, a[0].metadata["content_hash"])


def test_pdf_pages_are_not_merged_and_carry_page_metadata() -> None:
    chunks = chunk_document(_doc([Section("H1", "Pagina een.", page=1, page_label="1", page_index=3),
                                  Section("H1", "Pagina twee.", page=2, page_label="2", page_index=4)]))
    assert [(c.metadata["page"], c.metadata["page_index"]) for c in chunks] == [(1, 3), (2, 4)]


def test_metadata_is_flat_and_filterable() -> None:
    (chunk,) = chunk_document(_doc([Section("S", "Tekst.")]))
    meta = chunk.metadata
    assert meta["sector_po"] is True and meta["sector_vo"] is False
    assert meta["published_int"] == 20210102 and meta["doc_type"] == "kennisrotonde"
