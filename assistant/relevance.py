"""Is the knowledge base relevant to this question? The refusal rule.

The best dense cosine alone does not separate uncovered education questions from answerable
ones (e5 gives every Dutch school text ~0.8). The rule combines three signals measured by the
retriever: the dense top cosine, the share of the question's (IDF-weighted) content words that
the corpus knows at all, and the share that the best source contains. A logistic function turns
them into a relevance in 0..1; the assistant refuses below ``Settings.refusal_threshold``.
The weights were fitted on the bundled golden set (``nro eval --calibrate``, see README);
English questions use the dense signal more, since the lexical index is Dutch.
"""

from __future__ import annotations

import math
import re

# Fitted with `nro eval tests/golden/golden.jsonl --calibrate` (logistic regression).
WEIGHTS_NL = {"bias": -9.0, "dense_top": 6.0, "known_terms": 3.0, "top_coverage": 4.0}
WEIGHTS_EN = {"bias": -48.0, "dense_top": 56.0, "known_terms": 0.0, "top_coverage": 2.0}

_EN = {"the", "is", "are", "does", "do", "what", "how", "of", "to", "for", "and", "with",
       "my", "should", "can", "why", "which", "there", "it", "in", "on", "a", "an", "about",
       "help", "students", "pupils", "children", "school", "teachers", "research", "effect"}
_NL = {"de", "het", "een", "zijn", "wat", "hoe", "van", "voor", "met", "mijn", "moet", "kan",
       "er", "niet", "bij", "dat", "welke", "heeft", "helpt", "werkt", "in", "op", "is", "ik",
       "we", "wij", "leerlingen", "kinderen", "school", "onderzoek", "zin", "en", "ook", "of"}


def language(text: str) -> str:
    """'en' or 'nl', by counting common function words (enough for a question)."""
    words = re.findall(r"[a-zà-ÿ]+", text.lower())
    en = sum(w in _EN and w not in _NL for w in words)
    nl = sum(w in _NL and w not in _EN for w in words)
    return "en" if en > nl else "nl"


def relevance(signals: dict[str, float], lang: str = "nl",
              weights: dict[str, float] | None = None) -> float:
    w = weights or (WEIGHTS_EN if lang == "en" else WEIGHTS_NL)
    z = w["bias"] + sum(w[k] * float(signals.get(k, 0.0)) for k in w if k != "bias")
    return 1.0 / (1.0 + math.exp(-z))
