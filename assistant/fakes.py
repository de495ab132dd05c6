"""Fakes that go through the same door as real providers (``NRO_LLM=fake``).

``SourceQuotingChatModel`` is a LangChain chat model that answers from the numbered sources in
its prompt (the first sentence of each of the first sources, with ``[n]``), streams word by
word, and records every prompt it was asked, so tests can assert on what the model saw.
"""

from __future__ import annotations

import re
from typing import Any
from collections.abc import Iterator

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import Field

from assistant.sentences import split_sentences

_SOURCE = re.compile(r"^\[(\d+)\] .*?\n<<<\n(.*?)\n>>>", re.S | re.M)


class SourceQuotingChatModel(BaseChatModel):
    calls: list[str] = Field(default_factory=list)
    max_sources: int = 2

    @property
    def _llm_type(self) -> str:
        return "fake-source-quoting"

    def _reply(self, messages: list[BaseMessage]) -> str:
        prompt = "\n".join(str(m.content) for m in messages)
        self.calls.append(prompt)
        if "Zelfstandige vraag:" in prompt:
            return prompt.split("Vervolgvraag:")[-1].split("\n")[0].strip()
        out = []
        for n, body in _SOURCE.findall(prompt)[: self.max_sources]:
            text = " ".join(ln for ln in body.split("\n") if ln and not ln.startswith("#"))
            first = next((s for s in split_sentences(text) if len(s.split()) >= 6), "")
            if first:
                out.append(f"{first.rstrip('.')} [{n}].")
        return " ".join(out) or "De bronnen geven hier geen antwoord op."

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=AIMessage(self._reply(messages)))])

    def _stream(self, messages: list[BaseMessage], stop: list[str] | None = None,
                run_manager: CallbackManagerForLLMRun | None = None,
                **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        for word in re.split(r"(\s+)", self._reply(messages)):
            if word:
                yield ChatGenerationChunk(message=AIMessageChunk(content=word))
