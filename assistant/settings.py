"""One typed settings object for the whole product.

Every field has a description and a default that works offline. Settings are read once
(environment variables with the prefix ``NRO_``, or a ``.env`` file) and passed in; nothing
deep in the code reads ``os.environ``. Tests build ``Settings(...)`` directly or pass an
environment dict to :func:`load_settings`.
"""

from __future__ import annotations

from pathlib import Path
from collections.abc import Mapping

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """All configuration of Kennisassistent (environment prefix ``NRO_``)."""

    model_config = SettingsConfigDict(env_prefix="NRO_", env_file=".env", extra="ignore")

    index_dir: Path = Field(Path("index"), description="Folder holding the Chroma data, "
                            "the lexical index, the manifest and the embedding cache.")
    embeddings: str = Field("e5", description="Embedding provider: e5 (bundled, offline), "
                            "openai:<model>, ollama:<model>, fake, fake-bow.")
    embeddings_base_url: str = Field("", description="Base URL for openai:/ollama: embeddings.")
    embed_batch_size: int = Field(16, description="Chunks embedded per call.")
    chroma_url: str = Field("", description="Empty: embedded Chroma in index_dir; "
                            "set (http://host:port): a Chroma server through HttpClient.")
    collection: str = Field("nro", description="Chroma collection name.")
    chunk_tokens: int = Field(280, description="Target chunk size in tokens (cl100k).")
    chunk_overlap_tokens: int = Field(40, description="Overlap between consecutive chunks "
                                      "when a long section is split.")
    max_file_mb: float = Field(20.0, description="Files larger than this are refused by name.")

    llm: str = Field("none", description="Answer model: none (extractive answers), "
                     "openai:<model>, ollama:<model>, fake.")
    llm_base_url: str = Field("", description="Base URL of an OpenAI-compatible or Ollama server.")
    llm_api_key: str = Field("", description="API key for the LLM endpoint (empty: none).")
    llm_timeout_s: float = Field(30.0, description="Timeout of one LLM call, in seconds.")
    llm_max_retries: int = Field(1, description="Retries of a failed LLM call.")
    azure_api_version: str = Field("", description="Set to use Azure OpenAI (with llm_base_url "
                                   "as the Azure endpoint and the model as deployment name).")

    top_k: int = Field(5, description="Numbered sources shown with an answer.")
    candidates: int = Field(40, description="Candidates taken from each retriever before fusion.")
    max_chunks_per_doc: int = Field(2, description="Chunks per document passed to the answerer.")
    retrieval: str = Field("hybrid", description="hybrid, bm25 or dense.")
    refusal_threshold: float = Field(0.5, description="Minimum relevance (0-1, calibrated on the "
                                     "golden set, see README) below which the assistant refuses.")
    answer_sentences: int = Field(4, description="Sentences in an extractive answer.")
    gaps_log: Path | None = Field(None, description="JSONL log of refused questions "
                                  "(knowledge gaps) for staff. Empty: gaps.jsonl in index_dir.")
    question_form_url: str = Field("https://www.nro.nl/kennisrotonde/vraag-stellen",
                                   description="Kennisrotonde question form shown on refusal.")

    database_url: str = Field("", description="Chat history database (SQLAlchemy async URL). "
                              "Empty: a SQLite file in index_dir.")
    retention_days: int = Field(180, description="Conversations older than this are deleted.")
    allow_origins: list[str] = Field(default_factory=lambda: ["http://localhost:8000"],
                                     description="Origins allowed to embed the widget.")
    api_max_question_chars: int = Field(1000, description="Longest question /api/ask accepts.")
    api_rate_per_minute: int = Field(30, description="Requests per minute per client on /api/ask.")
    sources_dir: Path = Field(Path("corpus"), description="Folder the index was ingested from; "
                              "PDF sources found there open in the chat at the cited page.")
    chat_files_dir: str = Field("", description="Folder for files attached to stored chat "
                                "messages (source elements). Empty: chat-files in index_dir.")
    staff_users: dict[str, str] = Field(default_factory=dict, description="Staff logins for the "
                                        "review pages (/staff): user name -> scrypt password "
                                        "hash (make one with `python -m assistant.chat.auth`).")
    staff_header: str = Field("", description="Header with the staff user name set by an SSO "
                              "proxy (e.g. X-Forwarded-User); empty: header login off.")
    stream_delay_ms: float = Field(10.0, description="Pause between streamed word groups of an "
                                   "offline answer, so that it visibly streams in the chat.")
    api_trust_forwarded: bool = Field(False, description="Rate-limit /api/ask by the first "
                                      "X-Forwarded-For address (only behind a trusted proxy).")

    @model_validator(mode="after")
    def _defaults_inside_index(self) -> Settings:
        if self.gaps_log is None:
            self.gaps_log = self.index_dir / "gaps.jsonl"
        return self


def load_settings(env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
    """Build settings from the process environment, or from ``env`` when given (tests)."""
    if env is None:
        return Settings(**overrides)  # type: ignore[arg-type]
    values: dict[str, object] = {}
    for name in Settings.model_fields:
        key = "NRO_" + name.upper()
        if key in env:
            values[name] = env[key]
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[arg-type, call-arg]
