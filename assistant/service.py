"""The answering core that the CLI, the chat and the JSON API call.

``Assistant.ask`` = rewrite a follow-up into a standalone question → retrieve → decide to
answer or refuse → answer (LLM when configured, with the extractive answer as fallback) →
log a refusal as a knowledge gap. Everything here is plain Python, tested without Chainlit.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from pathlib import Path
from collections.abc import Callable, Sequence

from assistant.answer import Answer, extractive_text
from assistant.privacy import redact
from assistant.relevance import language, relevance
from assistant.retrieve import Filters, Retrieval, Retriever
from assistant.settings import Settings

REFUSAL_NL = ("Daar heb ik in de kennisbank van het NRO geen antwoord op gevonden dat op "
              "onderzoek steunt, en ik wil je niets vertellen wat de bronnen niet zeggen. "
              "Je kunt je vraag voorleggen aan de Kennisrotonde: onderzoekers beantwoorden daar "
              "vragen uit de onderwijspraktijk. Stel je vraag via het formulier: {url}")
REFUSAL_EN = ("I could not find an answer to this in NRO's knowledge base that rests on "
              "research, and I will not tell you anything the sources do not say. You can put "
              "your question to the Kennisrotonde (in Dutch), where researchers answer questions "
              "from educational practice: {url}")
DUTCH_SOURCES_EN = "The sources are in Dutch; this answer quotes them in Dutch."
NO_SENTENCES_NL = ("De gevonden bronnen gaan over dit onderwerp, maar ik kon er geen korte "
                   "samenvatting uit halen. Lees de bronnen hieronder.")

# A follow-up that leans on the previous question ("En in het vo?", "Waarom is dat zo?").
_FOLLOW_UP = re.compile(r"^(en|maar|ook|waarom|hoe zit|geldt dat|is dat|wat als|and|but|what about|"
                        r"why|how about)\b|\b(dat|dit|daar|daarvan|daarbij|hiervan|het ook|"
                        r"die|ze|zij|hun|that|this|it|they)\b", re.I)


@dataclass
class Turn:
    role: str  # "user" or "assistant"
    content: str


def standalone_offline(question: str, history: Sequence[Turn]) -> str:
    """Without an LLM: a short or pronoun-led follow-up is joined to the previous question."""
    previous = [t.content for t in history if t.role == "user"]
    if not previous:
        return question
    short = len(question.split()) <= 8
    if short and _FOLLOW_UP.search(question) or len(question.split()) <= 4:
        return f"{previous[-1].rstrip()} {question}"
    return question


class Assistant:
    def __init__(self, settings: Settings, retriever: Retriever | None = None,
                 llm: object | None = None) -> None:
        self.settings = settings
        self.retriever = retriever or Retriever(settings)
        self._llm = llm
        if self._llm is None and settings.llm != "none":
            from assistant.llm import LLMAnswerer

            self._llm = LLMAnswerer(settings)

    @property
    def llm(self) -> object | None:
        return self._llm

    def ask(self, question: str, history: Sequence[Turn] = (), filters: Filters | None = None,
            on_token: Callable[[str], None] | None = None, mode: str | None = None) -> Answer:
        t0 = time.perf_counter()
        question = question.strip()
        lang = language(question)
        standalone = self._standalone(question, history)
        retrieval = self.retriever.search(standalone, filters, mode=mode)
        score = relevance(retrieval.signals, lang)
        t1 = time.perf_counter()
        if not retrieval.sources or score < self.settings.refusal_threshold:
            answer = self._refuse(question, standalone, retrieval, lang, score, filters)
        else:
            answer = self._answer(question, standalone, retrieval, lang, on_token)
            answer.relevance = score
        t2 = time.perf_counter()
        answer.retrieved, answer.signals = retrieval.sources, retrieval.signals
        answer.timings_ms = dict(retrieval.timings_ms, retrieve=round((t1 - t0) * 1e3, 2),
                                 answer=round((t2 - t1) * 1e3, 2), total=round((t2 - t0) * 1e3, 2))
        return answer

    def _standalone(self, question: str, history: Sequence[Turn]) -> str:
        if not history:
            return question
        if self._llm is not None:
            return self._llm.condense(question, history)  # type: ignore[attr-defined]
        return standalone_offline(question, history)

    def _answer(self, question: str, standalone: str, retrieval: Retrieval, lang: str,
                on_token: Callable[[str], None] | None) -> Answer:
        offline = self.extractive(question, standalone, retrieval, lang)
        if self._llm is None:
            if on_token:
                on_token(offline.markdown())
            return offline
        return self._llm.answer(question, standalone, retrieval, lang, offline,  # type: ignore[attr-defined]
                                on_token=on_token)

    def extractive(self, question: str, standalone: str, retrieval: Retrieval,
                   lang: str) -> Answer:
        text, quotes = extractive_text(standalone, retrieval, self.settings.answer_sentences)
        return Answer(question, text or NO_SENTENCES_NL, False, retrieval.sources,
                      answerer="extractive", language=lang, standalone_question=standalone,
                      notice=DUTCH_SOURCES_EN if lang == "en" else "", quotes=quotes)

    def _refuse(self, question: str, standalone: str, retrieval: Retrieval, lang: str,
                score: float, filters: Filters | None) -> Answer:
        template = REFUSAL_EN if lang == "en" else REFUSAL_NL
        self.log_gap(standalone, retrieval, score, filters)
        return Answer(question, template.format(url=self.settings.question_form_url), True, [],
                      answerer="refusal", language=lang, standalone_question=standalone,
                      relevance=score)

    def log_gap(self, question: str, retrieval: Retrieval, score: float,
                filters: Filters | None) -> None:
        path = Path(self.settings.gaps_log or self.settings.index_dir / "gaps.jsonl")
        path.parent.mkdir(parents=True, exist_ok=True)
        record = {"ts": time.strftime("%Y-%m-%dT%H:%M:%S"), "question": redact(question),
                  "relevance": round(score, 4),
                  "signals": {k: round(float(v), 4) for k, v in retrieval.signals.items()},
                  "filters": filters.__dict__ if filters else None}
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
