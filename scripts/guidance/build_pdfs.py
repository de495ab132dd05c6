"""Build the guidance-report PDFs from their Markdown sources.

Usage:  python scripts/guidance/build_pdfs.py [slug ...]

Reads scripts/guidance/src/<slug>.md (YAML front matter + a small Markdown
subset: '# ' chapters, '## ' sections, '### ' subsections, paragraphs,
'- ' bullet lists, **bold** and *italic*) and writes corpus/guidance/<slug>.pdf.

Layout and PDF features:
  * A4, title page, automatically generated table of contents ("Inhoud"),
    chapters start on a new page, page numbers in the footer;
  * front matter (title page, Voorwoord, Inhoud, Samenvatting ...) is
    numbered i, ii, iii ...; the body starts at 1 with the first chapter that
    is not a front-matter chapter.  The PDF /PageLabels match the printed
    footer numbers;
  * outline (bookmarks): one entry per '# ' chapter with nested entries for
    '## ' sections (and '### ' below those);
  * document info: Title, Author "NRO (voorbeeld)", Subject, Keywords
    ("url=...; published=...; sectors=po,vo; themes=a,b") and the custom
    keys /NroUrl, /NroPublished, /NroSectors, /NroThemes, /NroDocType;
  * standard Helvetica fonts (WinAnsi encoding, covers Dutch diacritics);
  * deterministic output (invariant=1): re-running gives identical bytes.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from reportlab.lib import colors
from reportlab.lib.enums import TA_JUSTIFY, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfdoc import PDFDate, PDFDictionary, PDFInfo, PDFName, PDFString
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Frame,
    ListFlowable,
    ListItem,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.tableofcontents import TableOfContents

HERE = Path(__file__).resolve().parent
SRC_DIR = HERE / "src"
OUT_DIR = HERE.parent.parent / "corpus" / "guidance"

AUTHOR = "NRO (voorbeeld)"
CREATOR = "Kennisassistent corpus - build_pdfs.py"
# Chapters with these titles belong to the front matter (roman page numbers).
FRONT_TITLES = {"voorwoord", "inhoud", "samenvatting van de aanbevelingen", "samenvatting"}
TOC_TITLE = "Inhoud"

SECTOR_NAMES = {
    "po": "primair onderwijs",
    "vo": "voortgezet onderwijs",
    "mbo": "middelbaar beroepsonderwijs",
    "ho": "hoger onderwijs",
}
MONTHS = [
    "januari", "februari", "maart", "april", "mei", "juni",
    "juli", "augustus", "september", "oktober", "november", "december",
]

ACCENT = colors.HexColor("#1F4E79")
GREY = colors.HexColor("#555555")

# --------------------------------------------------------------------------
# Source parsing
# --------------------------------------------------------------------------


@dataclass
class Block:
    kind: str  # 'h1', 'h2', 'h3', 'p', 'ul'
    text: str = ""
    items: list[str] = field(default_factory=list)


@dataclass
class Report:
    slug: str
    meta: dict
    blocks: list[Block]


def parse_markdown(path: Path) -> Report:
    raw = path.read_text(encoding="utf-8")
    m = re.match(r"^---\n(.*?)\n---\n(.*)$", raw, re.S)
    if not m:
        raise ValueError(f"{path}: missing YAML front matter")
    meta = yaml.safe_load(m.group(1))
    for key in ("title", "doc_type", "url", "published", "sectors", "themes"):
        if key not in meta:
            raise ValueError(f"{path}: front matter lacks {key!r}")
    meta["published"] = str(meta["published"])

    blocks: list[Block] = []
    para: list[str] = []
    items: list[str] | None = None

    def flush() -> None:
        nonlocal para, items
        if para:
            blocks.append(Block("p", " ".join(para)))
            para = []
        if items is not None:
            blocks.append(Block("ul", items=items))
            items = None

    for line in m.group(2).splitlines():
        s = line.strip()
        if not s:
            flush()
            continue
        hm = re.match(r"^(#{1,3}) (.+)$", s)
        if hm:
            flush()
            blocks.append(Block("h%d" % len(hm.group(1)), hm.group(2).strip()))
        elif s.startswith("- "):
            if para:
                flush()
            if items is None:
                items = []
            items.append(s[2:].strip())
        elif items is not None and line.startswith("  "):
            items[-1] += " " + s  # continuation of a bullet item
        else:
            if items is not None:
                flush()
            para.append(s)
    flush()
    return Report(path.stem, meta, blocks)


def check_encoding(report: Report) -> None:
    """Helvetica uses WinAnsi (cp1252): refuse characters it cannot show."""
    texts = [report.meta["title"]]
    for b in report.blocks:
        texts.append(b.text)
        texts.extend(b.items)
    for t in texts:
        for ch in t:
            try:
                ch.encode("cp1252")
            except UnicodeEncodeError:
                raise ValueError(f"{report.slug}: character {ch!r} not in WinAnsi: {t[:60]!r}")


def inline(text: str) -> str:
    """Escape for reportlab Paragraph markup and convert **bold** / *italic*."""
    t = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    t = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", t)
    t = re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", r"<i>\1</i>", t)
    return t


# --------------------------------------------------------------------------
# PDF helpers
# --------------------------------------------------------------------------


def roman(n: int) -> str:
    out = []
    for value, sym in ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"),
                       (90, "xc"), (50, "l"), (40, "xl"), (10, "x"), (9, "ix"),
                       (5, "v"), (4, "iv"), (1, "i")):
        while n >= value:
            out.append(sym)
            n -= value
    return "".join(out)


class NroInfo(PDFInfo):
    """PDFInfo that also writes custom keys (e.g. /NroUrl) into the Info dict."""

    extra: dict = {}

    def format(self, document):
        D = {}
        D["Title"] = PDFString(self.title)
        D["Author"] = PDFString(self.author)
        D["ModDate"] = D["CreationDate"] = PDFDate(
            ts=document._timeStamp, dateFormatter=self._dateFormatter)
        D["Producer"] = PDFString(self.producer)
        D["Creator"] = PDFString(self.creator)
        D["Subject"] = PDFString(self.subject)
        D["Keywords"] = PDFString(self.keywords)
        D["Trapped"] = PDFName(self.trapped)
        for key in sorted(self.extra):
            D[key] = PDFString(self.extra[key])
        return PDFDictionary(D).format(document)


def canvas_class(extra_info: dict):
    class NroCanvas(Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            info = NroInfo()
            info.__dict__.update(self._doc.info.__dict__)
            info.extra = dict(extra_info)
            self._doc.info = info

    return NroCanvas


class Heading(Paragraph):
    """A heading that registers a named destination and an outline entry."""

    def __init__(self, text, style, level, title, key, toc=True):
        super().__init__(text, style)
        self.level = level
        self.title = title
        self.key = key
        self.toc = toc

    def draw(self):
        self.canv.bookmarkHorizontal(self.key, 0, self.height + 6)
        self.canv.addOutlineEntry(self.title, self.key, level=self.level, closed=self.level > 0)
        super().draw()


class LabelledTOC(TableOfContents):
    """Table of contents as a two-column table: chapter title | page label.

    Page numbers are shown as page labels (roman for the front matter, arabic
    for the body), and each row is drawn left to right so text extraction
    keeps "title label" together.
    """

    def __init__(self, label_func, title_style, number_style, **kw):
        super().__init__(**kw)
        self.label_func = label_func
        self.title_style = title_style
        self.number_style = number_style

    def wrap(self, availWidth, availHeight):
        entries = self._lastEntries or [(0, "Inhoudsopgave", 0, None)]
        rows = []
        for level, text, page, key in entries:
            if key:
                text = '<a href="#%s">%s</a>' % (key, text)
            rows.append([Paragraph(text, self.title_style),
                         Paragraph(self.label_func(page), self.number_style)])
        self._table = Table(rows, colWidths=(availWidth - 20 * mm, 20 * mm), style=TableStyle([
            ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
            ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ("TOPPADDING", (0, 0), (-1, -1), 3),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ("LINEBELOW", (0, 0), (-1, -1), 0.3, colors.HexColor("#CCCCCC")),
        ]))
        self.width, self.height = self._table.wrapOn(self.canv, availWidth, availHeight)
        return self.width, self.height


class GuidanceDoc(BaseDocTemplate):
    def __init__(self, filename, report: Report, **kw):
        self.report = report
        self.body_start = None        # absolute page number where arabic numbering starts
        self.prev_body_start = None   # value from the previous multiBuild pass (for the TOC)
        super().__init__(filename, **kw)
        frame = Frame(self.leftMargin, self.bottomMargin, self.width, self.height, id="main")
        self.addPageTemplates([
            PageTemplate(id="title", frames=[frame], onPage=self._on_title),
            PageTemplate(id="front", frames=[frame], onPage=self._on_front),
            PageTemplate(id="body", frames=[frame], onPage=self._on_body),
        ])

    # -- multi-pass bookkeeping ---------------------------------------------
    def beforeDocument(self):
        if self.body_start is not None:
            self.prev_body_start = self.body_start
        self.body_start = None

    def toc_label(self, page: int) -> str:
        start = self.prev_body_start if self.prev_body_start is not None else self.body_start
        if start is None or page < start:
            return roman(page)
        return str(page - start + 1)

    # -- page decorations -----------------------------------------------------
    def _footer(self, canv, label: str):
        canv.saveState()
        canv.setStrokeColor(colors.HexColor("#BBBBBB"))
        canv.setLineWidth(0.5)
        y = 14 * mm
        canv.line(self.leftMargin, y + 4 * mm, self.pagesize[0] - self.rightMargin, y + 4 * mm)
        canv.setFont("Helvetica", 8)
        canv.setFillColor(GREY)
        canv.drawString(self.leftMargin, y, short_title(self.report.meta["title"]) + "  |  " + AUTHOR)
        canv.setFont("Helvetica", 9)
        canv.setFillColor(colors.black)
        canv.drawRightString(self.pagesize[0] - self.rightMargin, y, label)
        canv.restoreState()

    def _on_title(self, canv, doc):
        page = canv.getPageNumber()
        if page == 1:
            canv.addPageLabel(0, "ROMAN_LOWER", 1)
            canv.showOutline()
        # no printed number on the title page (its label is "i")

    def _on_front(self, canv, doc):
        self._footer(canv, roman(canv.getPageNumber()))

    def _on_body(self, canv, doc):
        page = canv.getPageNumber()
        if self.body_start is None:
            self.body_start = page
            canv.addPageLabel(page - 1, "ARABIC", 1)
        self._footer(canv, str(page - self.body_start + 1))

    def afterFlowable(self, flowable):
        if isinstance(flowable, Heading) and flowable.toc and flowable.level == 0:
            self.notify("TOCEntry", (0, inline(flowable.title), self.page, flowable.key))


def short_title(title: str) -> str:
    return title.split(":")[0].strip()


def make_styles():
    base = dict(fontName="Helvetica", fontSize=10.5, leading=15)
    return {
        "body": ParagraphStyle("body", alignment=TA_JUSTIFY, spaceAfter=7, **base),
        "bullet": ParagraphStyle("bullet", alignment=TA_LEFT, spaceAfter=3, **base),
        "h1": ParagraphStyle("h1", fontName="Helvetica-Bold", fontSize=19, leading=24,
                             textColor=ACCENT, spaceAfter=14, keepWithNext=1),
        "h2": ParagraphStyle("h2", fontName="Helvetica-Bold", fontSize=13, leading=17,
                             textColor=ACCENT, spaceBefore=10, spaceAfter=6, keepWithNext=1),
        "h3": ParagraphStyle("h3", fontName="Helvetica-BoldOblique", fontSize=11, leading=15,
                             spaceBefore=6, spaceAfter=4, keepWithNext=1),
        "ref": ParagraphStyle("ref", fontName="Helvetica", fontSize=9.5, leading=13,
                              leftIndent=14, firstLineIndent=-14, spaceAfter=5),
        "title": ParagraphStyle("title", fontName="Helvetica-Bold", fontSize=26, leading=32,
                                textColor=ACCENT, spaceAfter=18),
        "subtitle": ParagraphStyle("subtitle", fontName="Helvetica", fontSize=14, leading=19,
                                   textColor=GREY, spaceAfter=8),
        "titlemeta": ParagraphStyle("titlemeta", fontName="Helvetica", fontSize=10.5, leading=15,
                                    textColor=GREY),
        "toc0": ParagraphStyle("toc0", fontName="Helvetica", fontSize=11, leading=15,
                               leftIndent=0, firstLineIndent=0, spaceBefore=3),
        "tocnum": ParagraphStyle("tocnum", fontName="Helvetica", fontSize=11, leading=15,
                                 alignment=TA_RIGHT),
    }


def format_date(iso: str) -> str:
    y, m, _ = iso.split("-")
    return f"{MONTHS[int(m) - 1]} {y}"


def sectors_text(sectors) -> str:
    names = [SECTOR_NAMES.get(s, s) for s in sectors]
    if len(names) > 1:
        return ", ".join(names[:-1]) + " en " + names[-1]
    return names[0]


def build_story(report: Report, doc: GuidanceDoc, styles) -> list:
    meta = report.meta
    title = meta["title"]
    story: list = []

    # ---- title page --------------------------------------------------------
    story.append(Spacer(1, 45 * mm))
    story.append(Paragraph("PRAKTIJKGERICHTE AANBEVELINGEN", styles["subtitle"]))
    story.append(Spacer(1, 4 * mm))
    story.append(Paragraph(inline(title), styles["title"]))
    story.append(Paragraph("Voor het " + inline(sectors_text(meta["sectors"])), styles["subtitle"]))
    story.append(Spacer(1, 70 * mm))
    story.append(Paragraph(f"{AUTHOR} &middot; {format_date(meta['published'])}", styles["titlemeta"]))
    story.append(Paragraph("Thema's: " + inline(", ".join(meta["themes"])), styles["titlemeta"]))
    story.append(Paragraph(inline(meta["url"]), styles["titlemeta"]))
    story.append(NextPageTemplate("front"))

    # ---- chapters ------------------------------------------------------------
    counter = 0
    in_body = False
    toc_done = False
    in_refs = False

    def key() -> str:
        nonlocal counter
        counter += 1
        return f"h{counter:03d}"

    def toc_chapter() -> list:
        toc = LabelledTOC(doc.toc_label, styles["toc0"], styles["tocnum"])
        return [PageBreak(), Heading(TOC_TITLE, styles["h1"], 0, TOC_TITLE, key(), toc=False),
                toc]

    for i, b in enumerate(report.blocks):
        if b.kind == "h1":
            is_front = b.text.strip().lower() in FRONT_TITLES
            if not is_front and not toc_done:
                story.extend(toc_chapter())
                toc_done = True
            if not is_front and not in_body:
                story.append(NextPageTemplate("body"))
                in_body = True
            story.append(PageBreak())
            story.append(Heading(inline(b.text), styles["h1"], 0, b.text, key()))
            in_refs = b.text.strip().lower() in {"referenties", "literatuur", "bronnen"}
        elif b.kind in ("h2", "h3"):
            level = 1 if b.kind == "h2" else 2
            story.append(Heading(inline(b.text), styles[b.kind], level, b.text, key()))
        elif b.kind == "p":
            story.append(Paragraph(inline(b.text), styles["body"]))
        elif b.kind == "ul":
            if in_refs:
                for it in b.items:
                    story.append(Paragraph(inline(it), styles["ref"]))
            else:
                story.append(ListFlowable(
                    [ListItem(Paragraph(inline(it), styles["bullet"]), leftIndent=14)
                     for it in b.items],
                    bulletType="bullet", start="\u2022", leftIndent=14, bulletFontSize=9,
                    spaceAfter=6))
        # Insert the table of contents right after the Voorwoord chapter.
        nxt = report.blocks[i + 1] if i + 1 < len(report.blocks) else None
        if (not toc_done and nxt is not None and nxt.kind == "h1"
                and _current_chapter(report.blocks, i) == "voorwoord"):
            story.extend(toc_chapter())
            toc_done = True
    return story


def _current_chapter(blocks, i) -> str | None:
    for j in range(i, -1, -1):
        if blocks[j].kind == "h1":
            return blocks[j].text.strip().lower()
    return None


def build(report: Report) -> Path:
    check_encoding(report)
    meta = report.meta
    sectors = ",".join(meta["sectors"])
    themes = ",".join(meta["themes"])
    keywords = f"url={meta['url']}; published={meta['published']}; sectors={sectors}; themes={themes}"
    subject = (f"Praktijkgerichte aanbevelingen ({meta['doc_type']}) voor "
               f"{sectors_text(meta['sectors'])} over {', '.join(meta['themes'])}")
    extra = {
        "NroDocType": str(meta["doc_type"]),
        "NroUrl": meta["url"],
        "NroPublished": meta["published"],
        "NroSectors": sectors,
        "NroThemes": themes,
    }
    out = OUT_DIR / f"{report.slug}.pdf"
    doc = GuidanceDoc(
        str(out), report,
        pagesize=A4,
        leftMargin=25 * mm, rightMargin=25 * mm, topMargin=22 * mm, bottomMargin=25 * mm,
        title=meta["title"], author=AUTHOR, subject=subject, keywords=keywords,
        creator=CREATOR, invariant=1, lang="nl-NL",
    )
    styles = make_styles()
    story = build_story(report, doc, styles)
    doc.multiBuild(story, maxPasses=10, canvasmaker=canvas_class(extra))
    return out


def main(argv: list[str]) -> int:
    slugs = argv[1:]
    paths = sorted(SRC_DIR.glob("*.md")) if not slugs else [SRC_DIR / f"{s}.md" for s in slugs]
    if not paths:
        print(f"no sources found in {SRC_DIR}", file=sys.stderr)
        return 1
    for p in paths:
        out = build(parse_markdown(p))
        print(f"wrote {out.relative_to(HERE.parent.parent) if out.is_relative_to(HERE.parent.parent) else out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
