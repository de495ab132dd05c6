"""Contract tests every loader passes, plus what is specific to each format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.documents import DOC_TYPES, LoadError
from ingest.loaders import html, loader_for, markdown, pdf, projects, text

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

MD = """---
title: "Helpt huiswerk in groep 6?"
doc_type: kennisrotonde
kr_number: 9101
url: https://www.nro.nl/voorbeeld/kennisrotonde/kr-9101
published: 2021-05-03
sectors: [po]
themes: [huiswerk]
---
# Helpt huiswerk in groep 6?

## Kort antwoord
Huiswerk heeft in de basisschool weinig effect op prestaties.

## Toelichting
### Wat zegt onderzoek?
Meta-analyses vinden kleine effecten.
"""

HTML = """<!DOCTYPE html><html lang="nl"><head><meta charset="utf-8">
<title>Werkt een plusklas? | Kennisrotonde | NRO</title>
<link rel="canonical" href="https://www.nro.nl/voorbeeld/kennisrotonde/kr-9102">
<meta name="dcterms.date" content="2022-03-01"></head><body>
<header><nav class="menu"><a href="/">Home</a></nav></header>
<div class="cookie-banner">Deze website gebruikt cookies</div>
<main><article><h1>Werkt een plusklas?</h1>
<p class="kr-meta">Kennisrotonde-antwoord KR.9102 · gepubliceerd op 1 maart 2022</p>
<p class="tags">Sectoren: po, vo | Thema's: hoogbegaafdheid, plusklas</p>
<h2>Kort antwoord</h2><p>Een plusklas heeft kleine positieve effecten.</p>
<h2>Toelichting</h2><h3>Onderzoek</h3><p>Studies laten <em>wisselende</em> resultaten zien.</p>
<ul><li>Punt een</li></ul>
<script>alert('x')</script>
</article></main><footer><p>© NRO</p></footer></body></html>"""

CSV = ("project_id,titel,samenvatting,instelling,startjaar,eindjaar,sector,themas,status,url\n"
       "VB-2020-001,Feedback in het mbo,Onderzoek naar feedback van docenten in het mbo.,"
       "ECBO,2020,2023,mbo,feedback|motivatie,afgerond,https://www.nro.nl/voorbeeld/projecten/VB-2020-001\n"
       "VB-2021-002,Rekenen in groep 5,Een experiment met adaptief oefenen.,Universiteit Utrecht,"
       "2021,,po,rekenen,lopend,\n")


class LoaderContract:
    """What every loader must do; subclasses give the loader and a good sample."""

    source: str
    sample: bytes

    def load(self, data: bytes):  # noqa: ANN201
        return loader_for(self.source)(data, self.source)  # type: ignore[misc]

    def test_documents_carry_metadata(self) -> None:
        docs = self.load(self.sample)
        assert docs
        for d in docs:
            assert d.doc_id and d.title and d.source == self.source
            assert d.doc_type in DOC_TYPES
            assert d.sections and all(s.text.strip() for s in d.sections)
            meta = d.metadata()
            assert all(isinstance(v, (str, int, float, bool)) for v in meta.values())

    def test_ids_are_stable(self) -> None:
        assert [d.doc_id for d in self.load(self.sample)] == [d.doc_id for d in self.load(self.sample)]

    def test_empty_input_is_a_load_error(self) -> None:
        with pytest.raises(LoadError):
            self.load(b"")

    def test_binary_garbage_is_a_load_error(self) -> None:
        with pytest.raises(LoadError):
            self.load(b"\x00\x01\x02\xff\xfe binary \x00" * 20)


class TestMarkdown(LoaderContract):
    source = "kennisrotonde/kr-9101.md"
    sample = MD.encode()

    def test_front_matter_and_sections(self) -> None:
        (d,) = self.load(self.sample)
        assert d.title == "Helpt huiswerk in groep 6?"
        assert (d.doc_type, d.kr_number, d.published, d.sectors) == ("kennisrotonde", 9101, "2021-05-03", ["po"])
        assert d.doc_id == "https://www.nro.nl/voorbeeld/kennisrotonde/kr-9101"
        assert [s.heading for s in d.sections] == ["Kort antwoord", "Toelichting > Wat zegt onderzoek?"]

    def test_broken_front_matter_names_the_problem(self) -> None:
        with pytest.raises(LoadError, match="front matter"):
            self.load(b"---\ntitle: [unclosed\n---\n# x\n\ntext\n")
        with pytest.raises(LoadError, match="never closed"):
            self.load(b"---\ntitle: x\n# no end\n")

    def test_invalid_utf8_is_named(self) -> None:
        with pytest.raises(LoadError, match="UTF-8"):
            self.load("# Titel\n\ncaf\u00e9".encode("latin-1"))


class TestHtml(LoaderContract):
    source = "kennisrotonde/kr-9102.html"
    sample = HTML.encode()

    def test_page_parts(self) -> None:
        (d,) = self.load(self.sample)
        assert d.title == "Werkt een plusklas?"
        assert d.url == "https://www.nro.nl/voorbeeld/kennisrotonde/kr-9102"
        assert (d.kr_number, d.published, d.sectors) == (9102, "2022-03-01", ["po", "vo"])
        assert d.themes == ["hoogbegaafdheid", "plusklas"]
        body = " ".join(s.text for s in d.sections)
        assert "wisselende resultaten" in body and "- Punt een" in body
        for junk in ("cookies", "alert", "Home", "© NRO", "KR.9102"):
            assert junk not in body


class TestText(LoaderContract):
    source = "notities/plan.txt"
    sample = b"Leesplan\n\nWe lezen elke dag twintig minuten.\n"

    def test_first_line_is_title(self) -> None:
        (d,) = self.load(self.sample)
        assert d.title == "Leesplan" and d.doc_type == "other"


class TestCsvProjects(LoaderContract):
    source = "projecten/projecten.csv"
    sample = CSV.encode()

    def test_one_document_per_project(self) -> None:
        docs = self.load(self.sample)
        assert [d.anchor for d in docs] == ["VB-2020-001", "VB-2021-002"]
        assert docs[0].doc_type == "project" and docs[0].sectors == ["mbo"]
        assert docs[0].doc_id == "https://www.nro.nl/voorbeeld/projecten/VB-2020-001"
        assert docs[1].doc_id == "projecten/projecten.csv#VB-2021-002"  # no URL: path + id
        assert "Status: Afgerond onderzoek" in docs[0].sections[0].text


class TestJsonProjects(LoaderContract):
    source = "projecten/export.json"
    sample = json.dumps({"projects": [{"project_id": "VB-1", "titel": "Pesten in het vo",
                                       "samenvatting": "Een studie naar pesten.",
                                       "sector": "vo"}]}).encode()

    def test_reads_projects_key(self) -> None:
        (d,) = self.load(self.sample)
        assert d.title == "Pesten in het vo" and d.sectors == ["vo"]


class TestPdf(LoaderContract):
    source = "guidance/mini-guidance.pdf"
    sample = (FIXTURES / "mini-guidance.pdf").read_bytes()

    def test_pages_labels_outline_and_cleaning(self) -> None:
        (d,) = self.load(self.sample)
        assert d.title == "Mini-handreiking feedback"
        assert (d.url, d.published, d.sectors) == ("https://www.nro.nl/voorbeeld/guidance/mini", "2023-02-01", ["po", "vo"])
        labels = [(s.page_label, s.page_index, s.heading) for s in d.sections]
        assert labels == [("i", 1, ""), ("1", 2, "1. Feedback op de taak"), ("2", 3, "2. Tijd voor verwerking")]
        text = " ".join(s.text for s in d.sections)
        assert "specifiek" in text  # the fi ligature, NFKC
        assert "leerlingen" in text and "leer-" not in text  # broken at a line end, rejoined
        assert "feedback" in text and "\u00ad" not in text  # soft hyphen removed
        assert "po-scholen" in text  # a real compound keeps its hyphen

    def test_truncated_pdf_is_a_load_error(self) -> None:
        with pytest.raises(LoadError):
            self.load(self.sample[: len(self.sample) // 3])

    def test_encrypted_pdf_is_named(self) -> None:
        import io

        from pypdf import PdfReader, PdfWriter

        writer = PdfWriter()
        for page in PdfReader(io.BytesIO(self.sample)).pages:
            writer.add_page(page)
        writer.encrypt("geheim")
        buf = io.BytesIO()
        writer.write(buf)
        with pytest.raises(LoadError, match="encrypted"):
            self.load(buf.getvalue())


def test_unknown_extension_has_no_loader() -> None:
    assert loader_for("foto.jpg") is None
    assert loader_for("A.MD") is markdown.load and loader_for("b.htm") is html.load
    assert loader_for("c.pdf") is pdf.load and loader_for("d.txt") is text.load
    assert loader_for("e.json") is projects.load_json


def test_dehyphenation_rules() -> None:
    text = "We zagen vo-scholen en po-scholen.\nDe leer-\nlingen en de vo-\nscholen en de ge-\nmeente."
    out = pdf.dehyphenate(text)
    assert "leerlingen" in out and "vo-scholen en de" in out and "gemeente" in out


def test_pdf_bullet_glyphs_become_list_items() -> None:
    raw = "Tips:\n\x7f\nBeperk je tot twee punten. Een werkstuk vol\nopmerkingen overweldigt.\n\u2022 Prijs inzet.\n12\n"
    assert pdf._page_text(raw) == ("Tips:\n- Beperk je tot twee punten. Een werkstuk vol\n"
                                   "opmerkingen overweldigt.\n- Prijs inzet.")


def test_wrapped_list_items_stay_whole_sentences() -> None:
    from assistant.sentences import chunk_sentences

    text = "Titel\n## Tips\n- Beperk je tot twee punten. Een werkstuk vol\nopmerkingen overweldigt.\n- Prijs inzet."
    assert [s.text for s in chunk_sentences(text)] == [
        "Beperk je tot twee punten.", "Een werkstuk vol opmerkingen overweldigt.", "Prijs inzet."]


def test_pdf_page_is_cut_at_its_outline_headings() -> None:
    outline = [(0, "Hoofdstuk 1"), (1, "Hoofdstuk 1 > Wat zegt onderzoek?"),
               (1, "Hoofdstuk 1 > Valkuilen bij het geven van feedback")]
    text = "vervolg van de vorige pagina.\nWat zegt onderzoek?\nVeel.\nValkuilen bij het geven\nvan feedback\n- Te laat."
    parts = pdf._split_by_outline(text, 1, outline)
    assert [h for h, _ in parts] == ["Hoofdstuk 1", "Hoofdstuk 1 > Wat zegt onderzoek?",
                                     "Hoofdstuk 1 > Valkuilen bij het geven van feedback"]
    assert parts[0][1] == "vervolg van de vorige pagina." and parts[2][1].endswith("- Te laat.")


def test_pdf_running_headers_are_dropped() -> None:
    pages = [f"Rapport | NRO\nTekst van pagina {i}.\n{i}" for i in range(6)]
    assert all("Rapport | NRO" not in p for p in pdf._drop_running_lines(pages))
    assert pdf._drop_running_lines(pages[:2]) == pages[:2]  # too few pages to tell
