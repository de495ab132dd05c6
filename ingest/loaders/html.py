"""Saved HTML pages: a Kennisrotonde answer or an overview page exported from the website.

Takes the title (h1, else <title> without the site suffix), the canonical link, the date and
Kennisrotonde number from meta tags or the page text, the tags line (sectors and themes), and
the article text by h2/h3 heading. Navigation, cookie banners, scripts and footers are dropped.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, Tag

from ingest.documents import Document, LoadError, Section, normalise_list, normalise_sectors
from ingest.loaders.common import decode_text, default_doc_type, iso_date, kr_number

_DROP = ["script", "style", "noscript", "nav", "header", "footer", "form", "iframe", "svg"]
_DROP_CLASSES = re.compile(r"cookie|breadcrumb|menu|share|banner", re.I)
_BLOCKS = ["h2", "h3", "h4", "p", "li", "blockquote", "td"]


def _meta(soup: BeautifulSoup, *names: str) -> str:
    for name in names:
        tag = soup.find("meta", attrs={"name": name}) or soup.find("meta", attrs={"property": name})
        if isinstance(tag, Tag) and tag.get("content"):
            return str(tag["content"]).strip()
    return ""


def _tags_line(root: Tag) -> tuple[list[str], list[str], Tag | None]:
    tag = root.find(class_=re.compile(r"\btags\b"))
    if not isinstance(tag, Tag):
        return [], [], None
    sectors, themes = [], []
    for part in tag.get_text(" ", strip=True).split("|"):
        key, _, value = part.partition(":")
        if "sector" in key.lower():
            sectors = normalise_sectors(value)
        elif "thema" in key.lower():
            themes = normalise_list(value)
    return sectors, themes, tag


def _sections(root: Tag) -> list[Section]:
    sections: list[Section] = []
    path: list[tuple[int, str]] = []
    buf: list[str] = []

    def flush() -> None:
        if buf:
            sections.append(Section(" > ".join(h for _, h in path), "\n\n".join(buf)))
            buf.clear()

    for el in root.find_all(_BLOCKS):
        if el.find_parent(_BLOCKS):  # a <p> inside an <li> is read with its parent
            continue
        text = re.sub(r"\s+", " ", el.get_text(" ", strip=True)).strip()
        if not text:
            continue
        if el.name in ("h2", "h3", "h4"):
            flush()
            level = int(el.name[1])
            path = [(lvl, h) for lvl, h in path if lvl < level] + [(level, text)]
        else:
            buf.append(("- " if el.name == "li" else "") + text)
    flush()
    return sections


def load(data: bytes, source: str) -> list[Document]:
    text = decode_text(data)
    if "<" not in text[:2000]:
        raise LoadError("not an HTML page (no tags found)")
    soup = BeautifulSoup(text, "html.parser")
    canonical = soup.find("link", rel="canonical")
    url = str(canonical.get("href", "")).strip() if isinstance(canonical, Tag) else ""
    page_title = soup.title.get_text(strip=True) if soup.title else ""
    published = iso_date(_meta(soup, "dcterms.date", "article:published_time", "date"))
    kr = kr_number(_meta(soup, "kr-number"))
    for el in soup.find_all(_DROP):
        el.decompose()
    for el in soup.find_all(class_=_DROP_CLASSES):
        el.decompose()
    root: Tag = soup.find("article") or soup.find("main") or soup.body or soup  # type: ignore[assignment]
    h1 = root.find("h1")
    title = h1.get_text(" ", strip=True) if isinstance(h1, Tag) else page_title.split(" | ")[0]
    sectors, themes, tags = _tags_line(root)
    meta_line = root.find(class_=re.compile(r"kr-meta"))
    if kr is None and isinstance(meta_line, Tag):
        m = re.search(r"KR\.?\s*(\d+)", meta_line.get_text())
        kr = int(m.group(1)) if m else None
    for el in (tags, meta_line):  # type: ignore[assignment]
        if isinstance(el, Tag):
            el.decompose()
    sections = _sections(root)  # type: ignore[arg-type]
    if not title or not sections:
        raise LoadError("no title or no article text found in the page")
    doc_type = default_doc_type(source)
    if kr is not None or "kennisrotonde" in (url + page_title).lower():
        doc_type = "kennisrotonde"
    elif "/overzicht" in url:
        doc_type = "overzicht"
    return [Document(doc_id=url or source, doc_type=doc_type, title=title, source=source,
                     sections=sections, url=url, published=published, sectors=sectors,
                     themes=themes, kr_number=kr)]
