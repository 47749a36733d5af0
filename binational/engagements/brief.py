"""A printable brief (PDF, ReportLab) of one engagement and its commitments' progress.

The brief is written in the reader's language (English or Spanish) with DejaVu Sans where the system
has it (Latin, accents, Arabic presentation forms). Its readouts follow in their own language; an
Arabic one is joined and laid out right to left by `arabic_print` (no shaping engine is among the
dependencies; without DejaVu Sans, Helvetica has no Arabic glyphs and the lines print as boxes).
Every figure is the viewer's: progress is computed for it, and an indicator not shared with it says
so, without values.
"""

from __future__ import annotations

import io
import json
from functools import lru_cache
from importlib import resources
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.graphics.shapes import Drawing, Rect
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from sqlalchemy.orm import Session

from binational.access.policy import Actor
from binational.audit import log as audit
from binational.db import utcnow
from binational.engagements import arabic_print, indicators, service
from binational.engagements.schemas import CommitmentView, EngagementView

_FONTS = (Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
          Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"))


@lru_cache(maxsize=1)
def words() -> dict[str, dict[str, str]]:
    """The module's words in English and Spanish (data/labels.json)."""
    raw = json.loads(resources.files("binational.engagements").joinpath("data", "labels.json").read_text("utf-8"))
    return {"en": raw["en"], "es": raw["es"]}


def word(language: str, key: str, **values: str) -> str:
    """One of the module's words in `language` (English when absent)."""
    text = words().get(language, {}).get(key) or words()["en"].get(key, key)
    return text.format(**values) if values else text


@lru_cache(maxsize=1)
def _fonts() -> tuple[str, str]:
    regular, bold = _FONTS
    if regular.is_file() and bold.is_file():
        pdfmetrics.registerFont(TTFont("DejaVuSans", str(regular)))
        pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", str(bold)))
        return "DejaVuSans", "DejaVuSans-Bold"
    return "Helvetica", "Helvetica-Bold"


def _bar(share: float | None, on_track: bool | None) -> Drawing:
    drawing = Drawing(40 * mm, 5 * mm)
    drawing.add(Rect(0, 0, 40 * mm, 4 * mm, fillColor=colors.HexColor("#e6e6e6"), strokeColor=None))
    if share is not None:
        width = max(0.0, min(share, 1.0)) * 40 * mm
        fill = colors.HexColor("#1b6e3a") if on_track else colors.HexColor("#9c4a00")
        drawing.add(Rect(0, 0, width, 4 * mm, fillColor=fill, strokeColor=None))
    return drawing


def _progress_text(language: str, c: CommitmentView) -> str:
    p = c.progress
    if p.indicator is None:
        return word(language, "brief.no_indicator")
    label = word(language, indicators.get(p.indicator).label) if p.shared else ""
    if not p.shared:
        return word(language, "brief.not_shared")
    unit = word(language, f"unit.{p.unit}")
    target = f"{word(language, 'brief.target')}: {p.target:g} {unit}" if p.target is not None else ""
    if p.latest is None:
        return f"{label}. {target}. {word(language, 'brief.no_data')}"
    state = word(language, "brief.on_track" if p.on_track else "brief.behind")
    return f"{label}. {target}; {word(language, 'brief.latest')}: {p.latest:g} ({state})"


def build(view: EngagementView, *, language: str, agency: str, marking: str) -> bytes:
    """The PDF of an engagement as `view` holds it (what its viewer may see)."""
    regular, bold = _fonts()
    styles = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=styles["BodyText"], fontName=regular, fontSize=9.5, leading=12)
    head = ParagraphStyle("head", parent=styles["Heading2"], fontName=bold, fontSize=12, spaceBefore=8)
    title = ParagraphStyle("title", parent=styles["Title"], fontName=bold, fontSize=16)
    small = ParagraphStyle("small", parent=body, fontSize=8, textColor=colors.HexColor("#444444"))

    def p(text: str, style: ParagraphStyle = body) -> Paragraph:
        return Paragraph(escape(text), style)

    story: list = [p(word(language, "brief.title"), small), p(view.name, title)]
    facts = [
        (word(language, "brief.date"), view.date or "—"),
        (word(language, "brief.format"), word(language, f"format.{view.format}") if view.format else "—"),
        (word(language, "brief.countries"), ", ".join(view.countries) or "—"),
        (word(language, "brief.topics"), ", ".join(word(language, f"topic.{t}") for t in view.topics) or "—"),
    ]
    table = Table([[p(k, small), p(v)] for k, v in facts], colWidths=[35 * mm, 135 * mm])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story += [table, p(word(language, "brief.participants"), head)]
    for person in view.participants:
        extra = ", ".join(x for x in (person.get("position"), person.get("country")) if x)
        story.append(p(f"{person['name']}" + (f" — {extra}" if extra else "")))
    if view.summary:
        story += [p(word(language, "brief.summary"), head), p(view.summary)]
    story += [p(word(language, "brief.commitments"), head)]
    if not view.commitments:
        story.append(p(word(language, "brief.none")))
    rows = [[p(word(language, k), small) for k in ("brief.commitment", "brief.status", "brief.due", "brief.indicator")]]
    for c in view.commitments:
        who = f"{word(language, 'brief.committed_by')}: {c.committed_by or '—'}; " \
              f"{word(language, 'brief.owner')}: {c.owner_agency or '—'}"
        status = word(language, f"status.{c.status}") if c.status else "—"
        cell = [p(_progress_text(language, c))]
        if c.progress.shared and c.progress.indicator:
            cell.append(_bar(c.progress.share_of_target, c.progress.on_track))
        rows.append([[p(c.name), p(who, small)], p(status), p(c.due_date or "—"), cell])
    if view.commitments:
        grid = Table(rows, colWidths=[62 * mm, 22 * mm, 22 * mm, 64 * mm], repeatRows=1)
        grid.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                                  ("LINEBELOW", (0, 0), (-1, -1), 0.3, colors.HexColor("#999999"))]))
        story.append(grid)
    rtl = ParagraphStyle("rtl", parent=body, alignment=TA_RIGHT)
    for readout in view.readouts:
        story.append(p(word(language, "brief.readout", name=word(language, f"language.{readout['language']}")),
                       head))
        for para in (x for x in readout["text"].split("\n") if x.strip()):
            if readout["rtl"]:
                # Arabic: joined and laid out right to left here (arabic_print), one Paragraph a line.
                story += [Paragraph(escape(line), rtl) for line in arabic_print.lines(
                    para, 168 * mm, lambda t: pdfmetrics.stringWidth(t, regular, body.fontSize))]
            else:
                story.append(p(para))
    story += [Spacer(1, 6 * mm), p(word(language, "brief.footer", agency=agency,
                                        date=utcnow().date().isoformat(), marking=marking), small)]
    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=A4, title=view.name, leftMargin=20 * mm, rightMargin=20 * mm,
                      topMargin=18 * mm, bottomMargin=18 * mm, lang=language).build(story)
    return out.getvalue()


def render(*, session: Session, actor: Actor, engagement_id: str, language: str) -> bytes:
    """The brief of an engagement the actor may see (404 otherwise), its export audited."""
    view = service.read_engagement(session=session, actor=actor, engagement_id=engagement_id)
    pdf = build(view, language=language, agency=actor.agency, marking=service.marking_of(session, engagement_id))
    audit.record(session, action="engagement.brief", actor=actor, objects=[(view.id, view.record_owner)],
                 extra={"language": language, "commitments": len(view.commitments)})
    return pdf
