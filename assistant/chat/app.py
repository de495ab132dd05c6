"""Kennisassistent chat (Chainlit 2.12): translates chat events into calls of ``assistant/``.

``on_message``: redact the question → a visible "Zoeken in de kennisbank" step around the
answering core → stream the answer → attach one source element per ``[n]``. Everything
else (rendering, storage, routes, retention) lives in plain modules of ``assistant.chat``.
Run it with ``nro serve`` (or ``chainlit run assistant/chat/app.py`` from the project root).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Literal

import chainlit as cl
from chainlit.config import config
from chainlit.input_widget import InputWidget, Select
from chainlit.types import ThreadDict
from chainlit.server import app as fastapi_app

from assistant.answer import Answer
from assistant.chat import render, web
from assistant.chat.datalayer import make_data_layer
from assistant.chat.runtime import ChatRuntime
from assistant.privacy import redact
from assistant.retrieve import Filters
from assistant.service import Turn
from assistant.settings import load_settings

log = logging.getLogger("assistant.chat")

SETTINGS = load_settings()
RUNTIME = ChatRuntime(SETTINGS)
ERROR_NL = ("Er ging iets mis bij het beantwoorden van je vraag. Probeer het nog eens, of stel "
            "je vraag via het formulier van de Kennisrotonde: {url}")
NO_INDEX_NL = ("De kennisbank is nog niet geladen, dus ik kan nu geen vragen beantwoorden. "
               "Probeer het later opnieuw.")

# The CORS middleware holds this very list object: fill it from settings, never "*".
config.project.allow_origins[:] = [o for o in SETTINGS.allow_origins if o != "*"]
web.patch_index_html()
web.install(fastapi_app, SETTINGS, RUNTIME.ask, lambda: RUNTIME.ready)
RUNTIME.ensure_schema_blocking()


@cl.data_layer
def data_layer():
    return make_data_layer(SETTINGS)


@cl.on_app_startup
async def startup() -> None:
    loop = asyncio.get_running_loop()
    loop.create_task(RUNTIME.retention_loop())
    loop.run_in_executor(None, RUNTIME.warm_up)


@cl.set_starters
async def starters(user: object = None, language: object = None) -> list[cl.Starter]:
    return [cl.Starter(label=label, message=message) for label, message in render.STARTERS]


async def send_filters() -> None:
    widgets: list[InputWidget] = [
        Select(id=render.SECTOR_SETTING, label="Sector", values=list(render.SECTORS),
               initial_index=0),
        Select(id=render.TYPE_SETTING, label="Soort kennisproduct",
               values=list(render.DOC_TYPES), initial_index=0),
    ]
    await cl.ChatSettings(widgets).send()


@cl.on_chat_start
async def start() -> None:
    cl.user_session.set("history", [])
    await send_filters()


@cl.on_chat_resume
async def resume(thread: ThreadDict) -> None:
    steps = [dict(s) for s in thread.get("steps") or []]
    cl.user_session.set("history", render.turns_from_steps(steps))
    await send_filters()


@cl.on_message
async def on_message(message: cl.Message) -> cl.Message:
    question = redact(message.content)
    if question != message.content:  # show the visitor what was kept
        message.content = question
        await message.update()
    history: list[Turn] = cl.user_session.get("history") or []
    filters = render.filters_from(cl.context.session.chat_settings)
    msg = cl.Message(content="")
    try:
        async with cl.Step(name="Zoeken in de kennisbank", type="retrieval") as step:
            step.input = question
            answer, streamed = await ask_streaming(question, history, filters, msg)
            step.output = render.retrieval_summary(answer)
    except FileNotFoundError:
        log.exception("no index")
        return await cl.Message(content=NO_INDEX_NL).send()
    except Exception:
        log.exception("answering failed")
        return await cl.Message(content=ERROR_NL.format(url=SETTINGS.question_form_url)).send()

    content = render.message_markdown(answer, SETTINGS.question_form_url)
    msg.elements = source_elements(answer)  # type: ignore[assignment]
    if not streamed:  # the offline answer comes whole: let it stream in for the reader
        for piece in render.stream_pieces(content, words=4):
            await msg.stream_token(piece)
            await asyncio.sleep(SETTINGS.stream_delay_ms / 1000)
    msg.content = content  # the checked answer with its source list replaces the stream
    msg.metadata = {"refused": answer.refused, "answerer": answer.answerer,
                    "cited_sources": [s.meta.get("source") for s in answer.sources
                                      if s.n in set(answer.cited)]}
    await msg.send()
    cl.user_session.set("history", [*history, Turn("user", question),
                                    Turn("assistant", answer.text)][-20:])
    return msg


async def ask_streaming(question: str, history: list[Turn], filters: Filters | None,
                        msg: cl.Message) -> tuple[Answer, bool]:
    """Answer in a worker thread; with an LLM, its tokens stream into ``msg`` as they come."""
    if SETTINGS.llm == "none":
        return await asyncio.to_thread(RUNTIME.ask, question, history, filters), False
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str | None] = asyncio.Queue()

    def on_token(token: str) -> None:  # called in the worker thread
        loop.call_soon_threadsafe(queue.put_nowait, token)

    async def pump() -> None:
        while (token := await queue.get()) is not None:
            await msg.stream_token(render.inert(token))

    pumping = asyncio.create_task(pump())
    try:
        answer = await asyncio.to_thread(RUNTIME.ask, question, history, filters, on_token)
    finally:
        loop.call_soon_threadsafe(queue.put_nowait, None)  # after every token (FIFO)
        await pumping
    return answer, True


def source_elements(answer: object) -> list[cl.Text | cl.Pdf]:
    # The widget (Copilot 2.12) pops every "side" element open in a dialog as soon as it
    # arrives; "page" elements open there only when their [n] is clicked.
    display: Literal["side", "page"] = ("page" if cl.context.session.client_type == "copilot"
                                        else "side")
    out: list[cl.Text | cl.Pdf] = []
    for spec in render.source_elements(answer, SETTINGS.sources_dir):  # type: ignore[arg-type]
        if spec.kind == "pdf":
            out.append(cl.Pdf(name=spec.name, path=str(spec.path), page=spec.page,
                              display=display))
        else:
            out.append(cl.Text(name=spec.name, content=spec.content, display=display))
    return out
