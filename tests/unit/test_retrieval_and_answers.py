"""Ranking with bag-of-words fake embeddings (similar texts really are close), fusion,
filters, grouping into numbered sources, and the shape of extractive answers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from assistant.answer import cite, dutch_date, type_label
from assistant.retrieve import Filters, Retriever, _fuse, Passage, type_prior
from assistant.service import Assistant, Turn, standalone_offline
from ingest.pipeline import Ingestor
from tests.conftest import make_settings

DOCS = {
    "huiswerk.md": ("Heeft huiswerk in de basisschool zin?", ["po"], "2019-01-01",
                    "Huiswerk in de basisschool heeft weinig effect op de prestaties van leerlingen. "
                    "Meta-analyses vinden voor jonge kinderen een verband dicht bij nul. "
                    "Korte oefentaken thuis kunnen wel de leesvaardigheid onderhouden."),
    "telefoon.md": ("Werkt een telefoonverbod in de klas?", ["vo"], "2024-06-01",
                    "Een telefoonverbod in de klas vermindert afleiding tijdens de les. "
                    "Studies naar cijfers na een telefoonverbod vinden kleine positieve effecten. "
                    "Handhaving van het telefoonverbod bepaalt of de regel werkt."),
    "pesten.md": ("Wat werkt tegen pesten?", ["po", "vo"], "2021-03-01",
                  "Een schoolbrede aanpak tegen pesten werkt beter dan losse lessen. "
                  "Programma's zoals KiVa verminderen pesten vooral in de basisschool. "
                  "Leerkrachten die snel ingrijpen bij pesten maken het verschil."),
}


@pytest.fixture(scope="module")
def small_index(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    root = tmp_path_factory.mktemp("kb")
    for name, (title, sectors, date, body) in DOCS.items():
        (root / name).write_text(
            f"---\ntitle: \"{title}\"\ndoc_type: kennisrotonde\nsectors: {sectors}\n"
            f"published: {date}\n---\n# {title}\n\n## Kort antwoord\n{body}\n", encoding="utf-8")
    # the refusal weights are calibrated for e5 cosines; these tests are about ranking
    settings = make_settings(tmp_path_factory.mktemp("index"), embeddings="fake-bow",
                             refusal_threshold=0.0)
    Ingestor(settings).run([root], progress=False)
    return settings


@pytest.mark.parametrize("mode", ["hybrid", "dense", "bm25"])
def test_the_matching_document_ranks_first_in_every_mode(small_index, mode) -> None:  # noqa: ANN001
    r = Retriever(small_index)
    for question, expected in [("Helpt huiswerk jonge kinderen?", "huiswerk.md"),
                               ("telefoonverbod tijdens de les", "telefoon.md"),
                               ("aanpak tegen pesten op school", "pesten.md")]:
        sources = r.search(question, mode=mode).sources
        assert sources[0].meta["source"] == expected, (mode, question)
        assert [s.n for s in sources] == list(range(1, len(sources) + 1))


def test_filters_select_sector_and_date(small_index) -> None:  # noqa: ANN001
    r = Retriever(small_index)
    vo = r.search("Helpt huiswerk jonge kinderen?", Filters(sectors=("vo",)))
    assert {s.meta["source"] for s in vo.sources} <= {"telefoon.md", "pesten.md"}
    recent = r.search("pesten", Filters(date_from="2022-01-01"))
    assert [s.meta["source"] for s in recent.sources] == ["telefoon.md"]
    assert r.search("pesten", Filters(doc_types=("project",))).sources == []


def test_chunks_per_document_are_capped(small_index) -> None:  # noqa: ANN001
    settings = small_index.model_copy(update={"max_chunks_per_doc": 1})
    for s in Retriever(settings).search("pesten telefoon huiswerk").sources:
        assert len(s.passages) == 1


def test_fusion_rewards_agreement() -> None:
    a = [Passage("x", "", {}), Passage("y", "", {})]
    b = [Passage("y", "", {}), Passage("z", "", {})]
    assert [p.id for p in _fuse([(a, 1.0), (b, 1.0)])][0] == "y"
    assert [p.id for p in _fuse([(a, 1.0), (b, 0.0)])][0] == "x"  # the weights count


def test_type_prior_reads_the_intent() -> None:
    assert type_prior("Loopt er onderzoek naar pesten in het mbo?")["project"] > 1
    assert type_prior("Is er een overzicht van wat we weten over feedback?")["overzicht"] > 1
    assert type_prior("Helpt feedback?")["overzicht"] < 1


def test_extractive_answer_shape(small_index) -> None:  # noqa: ANN001
    answer = Assistant(small_index).ask("Heeft huiswerk zin in de basisschool?")
    assert not answer.refused and answer.answerer == "extractive"
    sentences = re.split(r"(?<=[.!?])\s+", answer.text)
    assert sentences[0].startswith("Huiswerk in de basisschool heeft weinig effect")
    assert all(re.search(r"\[\d\][.!?]$", s) for s in sentences)  # every sentence cited
    assert len(sentences) == len(set(sentences))  # nothing repeated
    assert answer.cited[0] == 1 and set(answer.cited) <= {s.n for s in answer.sources}
    md = answer.markdown()
    assert "**Bronnen**" in md and "[1] Kennisrotonde-antwoord: Heeft huiswerk" in md
    data = answer.to_json()
    assert set(data) >= {"question", "answer", "refused", "citations", "answerer", "timings_ms"}
    c = data["citations"][0]
    assert set(c) >= {"n", "doc_id", "title", "doc_type", "url", "source", "page", "published",
                      "score", "quote"}
    assert c["quote"] in DOCS["huiswerk.md"][3] and c["cited"] is True


def test_follow_up_is_rewritten_offline() -> None:
    history = [Turn("user", "Heeft huiswerk zin in groep 6?"), Turn("assistant", "Weinig [1].")]
    assert standalone_offline("En in het vo?", history) == "Heeft huiswerk zin in groep 6? En in het vo?"
    full = "Wat werkt tegen pesten in de bovenbouw van het vwo volgens recent onderzoek?"
    assert standalone_offline(full, history) == full


def test_dutch_labels_and_dates() -> None:
    assert type_label({"doc_type": "kennisrotonde", "kr_number": 9001}) == "Kennisrotonde-antwoord nr. 9001"
    assert type_label({"doc_type": "guidance", "page_label": "7"}) == "Guidance report p. 7"
    assert type_label({"doc_type": "overzicht"}) == "Thematisch overzicht"
    assert type_label({"doc_type": "project"}) == "Onderzoeksproject"
    assert dutch_date("2021-05-03") == "3 mei 2021"
    assert cite("Dit werkt goed.", 2) == "Dit werkt goed [2]."


def test_missing_index_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="nro ingest"):
        Retriever(make_settings(tmp_path / "none", embeddings="fake"))
