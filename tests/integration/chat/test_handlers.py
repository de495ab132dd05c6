"""The Chainlit handlers under a fake Chainlit context: what a visitor would see emitted."""

from __future__ import annotations

import asyncio
import re

import pytest
from chainlit.context import ChainlitContext, context_var
from chainlit.emitter import BaseChainlitEmitter

from assistant.chat.runtime import ChatRuntime
from assistant.settings import Settings

from .conftest import fake_session


class RecEmitter(BaseChainlitEmitter):
    def __init__(self, session) -> None:
        super().__init__(session)
        self.events: list[tuple[str, object]] = []

    async def send_step(self, d): self.events.append(("send_step", d))
    async def update_step(self, d): self.events.append(("update_step", d))
    async def stream_start(self, d): self.events.append(("stream_start", d))
    async def send_element(self, d): self.events.append(("element", d))

    async def send_token(self, id, token, is_sequence=False, is_input=False):
        self.events.append(("token", token))

    def set_chat_settings(self, settings: dict) -> None:
        self.session.chat_settings = dict(settings)

    def streamed(self) -> str:
        return "".join([d["output"] for d in self.of("stream_start")] + self.of("token"))

    def of(self, kind: str) -> list:
        return [d for k, d in self.events if k == kind]


def run_chat(app, settings: Settings, questions: list[str], chat_settings: dict | None = None):
    """Start a chat, ask the questions in turn; returns (messages, emitter, answers seen)."""
    seen = []

    class Spy(ChatRuntime):
        def ask(self, question, history=(), filters=None, on_token=None):
            answer = super().ask(question, history, filters, on_token)
            seen.append((question, list(history), filters, answer))
            return answer

    async def go():
        session = fake_session(chat_settings)
        emitter = RecEmitter(session)
        context_var.set(ChainlitContext(session, emitter=emitter))
        app.RUNTIME = Spy(settings)
        app.SETTINGS = settings
        await app.start()
        session.chat_settings.update(chat_settings or {})
        out = []
        for q in questions:
            out.append(await app.on_message(app.cl.Message(content=q, type="user_message")))
        return out, emitter

    msgs, emitter = asyncio.run(go())
    return msgs, emitter, seen


def test_answer_streams_with_a_retrieval_step_and_one_side_element_per_citation(
        app_module, answering: Settings) -> None:
    msgs, em, seen = run_chat(app_module, answering,
                              ["Heeft huiswerk in de basisschool effect op de leerprestaties?"])
    msg = msgs[0]
    tokens = em.of("token")
    assert len(tokens) > 3, "the answer arrives in pieces"
    assert em.streamed().strip() == msg.content.strip()
    steps = [d for d in em.of("send_step") + em.of("update_step") if d["type"] == "retrieval"]
    assert steps and steps[0]["name"] == "Zoeken in de kennisbank"
    assert "bronnen gevonden" in steps[-1]["output"]
    cited = set(re.findall(r"\[\d+\]", msg.content))
    names = {e.name for e in msg.elements}
    assert cited and cited <= names, (cited, names)
    assert all(e.display == "side" for e in msg.elements)
    assert "**Bronnen**" in msg.content
    sent = em.of("element")
    assert {d["name"] for d in sent} == names and all(d["forId"] == msg.id for d in sent)
    answer = seen[0][3]
    assert msg.metadata["cited_sources"] == [s.meta["source"] for s in answer.sources
                                             if s.n in answer.cited]


def test_follow_up_question_uses_the_history(app_module, answering: Settings) -> None:
    _, em, seen = run_chat(app_module, answering,
                           ["Heeft huiswerk in de basisschool effect op de leerprestaties?",
                            "En in het vo?"])
    question, history, _, answer = seen[1]
    assert [t.role for t in history] == ["user", "assistant"]
    assert "huiswerk" in history[0].content
    assert "huiswerk" in answer.standalone_question and "vo" in answer.standalone_question
    outputs = [d["output"] for d in em.of("update_step") if d["type"] == "retrieval"]
    assert any(o.startswith("Zoekvraag: ") and "huiswerk" in o for o in outputs)


def test_personal_data_is_removed_from_the_question_before_answering(
        app_module, answering: Settings) -> None:
    _, em, seen = run_chat(app_module, answering,
                           ["Mijn leerling (jan.jansen@school.nl, 06-12345678) heeft dyslexie, "
                            "welke interventies werken?"])
    question = seen[0][0]
    assert "jan.jansen@school.nl" not in question and "06-12345678" not in question
    assert "[e-mailadres verwijderd]" in question
    shown = [d["output"] for d in em.of("update_step") if d.get("type") == "user_message"]
    assert shown and "[telefoonnummer verwijderd]" in shown[-1]


def test_filters_from_chat_settings_reach_retrieval(app_module, answering: Settings) -> None:
    chosen = {"sector": "Voortgezet onderwijs (vo)", "doc_type": "Kennisrotonde-antwoorden"}
    _, _, seen = run_chat(app_module, answering, ["Werkt huiswerk?"], chosen)
    filters, answer = seen[0][2], seen[0][3]
    assert filters.sectors == ("vo",) and filters.doc_types == ("kennisrotonde",)
    assert answer.sources and all(s.meta["doc_type"] == "kennisrotonde" for s in answer.sources)
    assert all("vo" in str(s.meta.get("sectors")) for s in answer.sources)


def test_guidance_report_source_opens_as_pdf_at_the_cited_page(
        app_module, answering: Settings) -> None:
    msgs, _, seen = run_chat(app_module, answering,
                             ["Hoe zet je onderwijsassistenten effectief in?"],
                             {"doc_type": "Guidance reports"})
    answer = seen[0][3]
    pdf_sources = [s for s in answer.sources
                   if str(s.passages[0].meta.get("source", "")).endswith(".pdf")]
    assert pdf_sources, "the guidance index has PDF passages"
    by_name = {e.name: e for e in msgs[0].elements}
    for s in pdf_sources:
        element = by_name[f"[{s.n}]"]
        assert element.type == "pdf" and element.page == s.passages[0].meta["page_index"]
        assert element.path.endswith(s.passages[0].meta["source"].split("/")[-1])


def test_refusal_links_the_kennisrotonde_form_and_shows_no_sources(
        app_module, refusing: Settings) -> None:
    msgs, _, _ = run_chat(app_module, refusing, ["Hoe maak ik een goede lasagne?"])
    url = refusing.question_form_url
    assert f"]({url})" in msgs[0].content
    assert not msgs[0].elements


def test_a_failure_in_the_core_gives_a_dutch_message(app_module, answering: Settings) -> None:
    broken = answering.model_copy(update={"index_dir": answering.index_dir / "missing"})
    msgs, _, _ = run_chat(app_module, broken, ["Werkt huiswerk?"])
    assert "kennisbank is nog niet geladen" in msgs[0].content


@pytest.mark.parametrize("language", ["nl-NL", None])
def test_four_dutch_starters(app_module, language: str | None) -> None:
    starters = asyncio.run(app_module.starters(None, language))
    assert len(starters) == 4
    assert all(s.message.endswith("?") for s in starters)


def test_llm_tokens_stream_while_the_answer_is_being_written(app_module,
                                                             answering: Settings) -> None:
    llm = answering.model_copy(update={"llm": "fake"})
    msgs, em, seen = run_chat(app_module, llm, ["Heeft zittenblijven in het basisonderwijs zin?"])
    answer = seen[0][3]
    assert answer.answerer != "extractive" or answer.notice, answer.answerer
    kinds = [k for k, d in em.events if k in ("token", "stream_start")
             or (k == "update_step" and d.get("type") == "retrieval")]
    first_token = min(i for i, k in enumerate(kinds) if k in ("token", "stream_start"))
    step_done = kinds.index("update_step")
    assert first_token < step_done, "tokens arrive while the core is still answering"
    assert "**Bronnen**" in msgs[0].content and msgs[0].elements
