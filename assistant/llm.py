"""The LLM answerer: a LangChain chat model instructed to answer only from numbered sources.

- Models by ``provider:model``: ``openai:<model>`` (any OpenAI-compatible endpoint: vLLM,
  LM Studio; Azure when ``azure_api_version`` is set), ``ollama:<model>``, and ``fake`` (a
  scripted model that quotes the sources and records what it was asked).
- Streams tokens to a callback; a total deadline and limited retries guard every call.
- Every sentence with a citation is checked against the source it cites; unsupported
  sentences are removed (and listed), citations to sources that do not exist are dropped.
- Any failure (timeout, rate limit, server error, malformed stream) gives the extractive
  answer with a short Dutch notice: the user never sees a traceback.
- Instruction-like sentences in documents are neutralised before they reach the model.
"""

from __future__ import annotations

import logging
import re
import time
from typing import Any
from collections.abc import Callable, Iterator, Sequence

from assistant.answer import Answer
from assistant.prompts import load_prompt
from assistant.retrieve import Retrieval
from assistant.sentences import best_support, neutralize, split_sentences
from assistant.settings import Settings

log = logging.getLogger(__name__)
KNOWN = ("none", "openai:<model>", "ollama:<model>", "fake")
# Share of a sentence's content words found in the cited passage. Calibrated with
# bench/calibrate_support.py on the golden set: at 0.5, 99.4 % of supported sentences are kept
# and 99.1 % of sentences citing the wrong source are removed (347 sentences).
SUPPORT_MIN = 0.5
NOTICE_FAILED = ("Het taalmodel is nu niet bereikbaar ({reason}). Hieronder staat een antwoord "
                 "dat rechtstreeks uit de bronnen is samengesteld.")
NOTICE_REMOVED = "{n} zin(nen) weggelaten omdat de bronnen ze niet ondersteunen."
_CITE = re.compile(r"\s*\[(\d+)\]")


def make_chat_model(settings: Settings) -> Any:
    """The LangChain chat model named by ``settings.llm`` (see ``KNOWN``)."""
    provider, _, model = settings.llm.partition(":")
    if settings.llm == "fake":
        from assistant.fakes import SourceQuotingChatModel

        return SourceQuotingChatModel()
    if provider == "openai" and model:
        try:
            import langchain_openai
        except ImportError as exc:  # pragma: no cover
            raise RuntimeError("install the 'langchain-openai' package for openai: models") from exc
        common: dict[str, Any] = {"timeout": settings.llm_timeout_s, "max_retries": settings.llm_max_retries,
                  "api_key": settings.llm_api_key or "not-needed", "temperature": 0,
                  "streaming": True}
        if settings.azure_api_version:
            return langchain_openai.AzureChatOpenAI(
                azure_deployment=model, azure_endpoint=settings.llm_base_url,
                api_version=settings.azure_api_version, **common)
        return langchain_openai.ChatOpenAI(model=model, base_url=settings.llm_base_url or None,
                                           **common)
    if provider == "ollama" and model:
        try:
            import langchain_ollama
        except ImportError as exc:  # pragma: no cover
            raise RuntimeError("install the 'langchain-ollama' package for ollama: models") from exc
        kwargs: dict[str, Any] = {"model": model, "temperature": 0,
                                  "client_kwargs": {"timeout": settings.llm_timeout_s}}
        if settings.llm_base_url:
            kwargs["base_url"] = settings.llm_base_url
        return langchain_ollama.ChatOllama(**kwargs)
    raise ValueError(f"unknown llm {settings.llm!r}; known: {', '.join(KNOWN)}")


def format_sources(retrieval: Retrieval) -> str:
    blocks = []
    for s in retrieval.sources:
        text = "\n".join(neutralize(p.text.split("\n", 1)[-1]) for p in s.evidence)
        blocks.append(f"[{s.n}] {s.title}\n<<<\n{text.strip()}\n>>>")
    return "\n\n".join(blocks)


def check_citations(text: str, evidence: dict[int, str]) -> tuple[str, list[str]]:
    """Keep sentences whose citations are supported; drop citations to unknown sources."""
    kept, removed = [], []
    for sentence in split_sentences(text):
        numbers = [int(n) for n in _CITE.findall(sentence)]
        if not numbers:
            kept.append(sentence)
            continue
        valid = [n for n in numbers if n in evidence]
        claim = _CITE.sub("", sentence).strip()
        support = max((best_support(claim, evidence[n])[0] for n in valid), default=0.0)
        if not valid or support < SUPPORT_MIN:
            removed.append(claim)
            continue
        kept.append(_CITE.sub(lambda m: m.group(0) if int(m.group(1)) in evidence else "",
                              sentence))
    return " ".join(kept), removed


class LLMAnswerer:
    def __init__(self, settings: Settings, model: Any = None) -> None:
        self.settings = settings
        self.model = model if model is not None else make_chat_model(settings)
        self.prompt = load_prompt("answer")
        self.condense_prompt = load_prompt("condense")

    def _stream(self, system: str, user: str) -> Iterator[str]:
        from langchain_core.messages import HumanMessage, SystemMessage

        deadline = time.monotonic() + self.settings.llm_timeout_s
        for chunk in self.model.stream([SystemMessage(system), HumanMessage(user)]):
            if time.monotonic() > deadline:
                raise TimeoutError("no complete answer within the time limit")
            content = chunk.content if isinstance(chunk.content, str) else ""
            if content:
                yield content

    def answer(self, question: str, standalone: str, retrieval: Retrieval, lang: str,
               offline: Answer, on_token: Callable[[str], None] | None = None) -> Answer:
        language = "Engels (English)" if lang == "en" else "Nederlands"
        system, user = self.prompt.render(question=standalone, sources=format_sources(retrieval),
                                          language=language)
        parts: list[str] = []
        try:
            for token in self._stream(system, user):
                parts.append(token)
                if on_token:
                    on_token(token)
        except Exception as exc:  # every provider error ends in the offline answer
            log.warning("LLM failed, extractive fallback: %s: %s", type(exc).__name__, exc)
            return self._fallback(offline, _reason(exc))
        evidence = {s.n: "\n".join(p.text for p in s.evidence) for s in retrieval.sources}
        text, removed = check_citations("".join(parts).strip(), evidence)
        if not _CITE.search(text):
            return self._fallback(offline, "het antwoord was niet met de bronnen te onderbouwen")
        notice = NOTICE_REMOVED.format(n=len(removed)) if removed else ""
        return Answer(question, text, False, retrieval.sources, answerer=f"llm:{self.settings.llm}",
                      notice=notice, language=lang, standalone_question=standalone,
                      prompt=self.prompt.id, removed_sentences=removed)

    def _fallback(self, offline: Answer, reason: str) -> Answer:
        notice = NOTICE_FAILED.format(reason=reason)
        offline.notice = f"{notice} {offline.notice}".strip()
        offline.answerer = "extractive (fallback)"
        return offline

    def condense(self, question: str, history: Sequence[Any]) -> str:
        from assistant.service import standalone_offline

        lines = "\n".join(f"{'Gebruiker' if t.role == 'user' else 'Assistent'}: {t.content}"
                          for t in history[-6:])
        system, user = self.condense_prompt.render(history=lines, question=question)
        try:
            text = "".join(self._stream(system, user)).strip()
        except Exception as exc:
            log.warning("condense failed, offline rewrite: %s", exc)
            return standalone_offline(question, history)
        return text.splitlines()[0].strip() if text else standalone_offline(question, history)


def _reason(exc: Exception) -> str:
    name = type(exc).__name__.lower()
    status = getattr(exc, "status_code", None)
    if "timeout" in name:
        return "geen antwoord binnen de tijdslimiet"
    if status == 429 or "ratelimit" in name:
        return "te veel verzoeken tegelijk"
    if status and int(status) >= 500:
        return "serverfout bij de taalmodelservice"
    if "connect" in name:
        return "geen verbinding met de taalmodelservice"
    return "onverwachte fout bij de taalmodelservice"
