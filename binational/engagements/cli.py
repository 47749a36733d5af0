"""`binational engagements`: readout intake, engagements, commitments, briefs and the gazetteer."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from binational.clitools import fail, work
from binational.engagements import service
from binational.engagements.schemas import CommitmentCreate, EngagementCreate, GazetteerPersonIn

app = typer.Typer(help="Engagements, commitments and their indicators: intake, list, commit, brief.",
                  no_args_is_help=True)
gazetteer_app = typer.Typer(help="The node's gazetteer of partner officials.", no_args_is_help=True)
app.add_typer(gazetteer_app, name="gazetteer")
AsUser = Annotated[str, typer.Option("--as", help="act as this user")]
Language = Annotated[str, typer.Option("--language", help="en or es: offices, titles and the brief")]


def _print(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=1, default=str))


def _read(path: Path) -> str:
    if not path.is_file():
        raise fail(f"{path}: no such file")
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise fail(f"{path}: not UTF-8 text") from None


def _language(language: str) -> str:
    if language not in ("en", "es"):
        raise fail(f"--language: {language!r} is not en or es")
    return language


def _invalid(path: Path, exc: ValidationError) -> typer.Exit:
    first = exc.errors()[0]
    where = ".".join(str(x) for x in first["loc"]) or "(the whole file)"
    return fail(f"{path}: field {where}: {first['msg']}; nothing recorded")


@app.command()
def intake(file: Annotated[Path, typer.Argument(help="the readout, UTF-8 text in any language")],
           as_user: Annotated[str | None, typer.Option("--as", help="act as this user (audited)")] = None,
           language: Language = "en") -> None:
    """Propose the readout's participants, countries and topics; prints JSON (nothing is recorded but the
    audit entry). With --as, each participant also lists the Person records that user sees that may be
    them; without, the node operator's proposal, audited as the system."""
    text = _read(file)
    if not text.strip():
        raise fail(f"{file}: the readout is empty")
    lang = _language(language)
    with work(as_user) as (session, actor):
        # Without --as, the node operator's proposal (audited as the system), with no records proposed.
        proposal = service.propose(session=session, actor=actor, text=text, display=lang)
    _print(proposal.as_json())


@app.command()
def record(file: Annotated[Path, typer.Argument(help="JSON of the engagement (an intake proposal, confirmed)")],
           as_user: AsUser) -> None:
    """Record an engagement from a JSON file (name, date, format, countries, topics, participants,
    readouts, summary, distribution, release_to, marking); prints its id."""
    try:
        data = EngagementCreate.model_validate_json(_read(file))
    except ValidationError as exc:
        raise _invalid(file, exc) from None
    with work(as_user) as (session, actor):
        assert actor is not None
        created = service.create_engagement(session=session, actor=actor, data=data)
    typer.echo(created.id)


@app.command("list")
def list_engagements(as_user: AsUser,
                     country: Annotated[str | None, typer.Option(help="only this ISO country code")] = None,
                     topic: Annotated[str | None, typer.Option(help="only this topic key")] = None) -> None:
    """The engagements you may see, newest first: date, format, countries, topics, name and id."""
    with work(as_user) as (session, actor):
        assert actor is not None
        found = service.timeline(session=session, actor=actor, country=country, topic=topic)
    for e in found:
        typer.echo("\t".join([service.first(e, "date") or "", service.first(e, "format") or "",
                              ",".join(service.countries(e)),
                              ",".join(sorted(e.properties.get("themes", []))), e.caption, e.id]))


@app.command()
def commit(
    engagement: Annotated[str, typer.Argument(help="id of the engagement")],
    what: Annotated[str, typer.Option("--what", help="what was committed to")],
    by: Annotated[str, typer.Option("--by", help="who committed")],
    owner: Annotated[str, typer.Option("--owner", help="agency that carries it out")],
    due: Annotated[str, typer.Option("--due", help="due date, YYYY-MM-DD")],
    as_user: AsUser,
    indicator: Annotated[str | None, typer.Option(help="key of a registered indicator")] = None,
    target: Annotated[float | None, typer.Option(help="monthly figure aimed for")] = None,
    unit: Annotated[str | None, typer.Option(help="unit of the target (the indicator's)")] = None,
    status: Annotated[str, typer.Option(help="open, in_progress, met, missed or superseded")] = "open",
    notes: Annotated[str | None, typer.Option(help="notes")] = None,
    distribution: Annotated[str, typer.Option(help="agency, national or release")] = "agency",
    release_to: Annotated[list[str] | None, typer.Option("--release-to", help="partner agency (repeat)")] = None,
    marking: Annotated[str, typer.Option(help="TLP marking")] = "TLP:AMBER",
) -> None:
    """Record a commitment made at an engagement, tied to an indicator with a target; prints its id."""
    try:
        due_date = date.fromisoformat(due)
    except ValueError:
        raise fail(f"--due: {due!r} is not a date (YYYY-MM-DD)") from None
    try:
        data = CommitmentCreate(engagement_id=engagement, name=what, committed_by=by, owner_agency=owner,
                                due_date=due_date, status=status, notes=notes, indicator=indicator, target=target,
                                unit=unit, distribution=distribution, release_to=release_to or [], marking=marking)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise fail(f"--{'.'.join(str(x) for x in first['loc'])}: {first['msg']}") from None
    with work(as_user) as (session, actor):
        assert actor is not None
        created = service.create_commitment(session=session, actor=actor, data=data)
    typer.echo(created.id)


@app.command()
def status(commitment: Annotated[str, typer.Argument(help="id of the commitment")],
           new: Annotated[str, typer.Argument(help="open, in_progress, met, missed or superseded")],
           as_user: AsUser, note: Annotated[str | None, typer.Option(help="a note")] = None) -> None:
    """Set a commitment's status."""
    with work(as_user) as (session, actor):
        assert actor is not None
        service.change_status(session=session, actor=actor, commitment_id=commitment, status=new, note=note)
    typer.echo(f"{commitment}\t{new}")


@app.command()
def show(engagement: Annotated[str, typer.Argument(help="id of the engagement")], as_user: AsUser) -> None:
    """One engagement with its participants, readouts and commitments' progress, as JSON."""
    with work(as_user) as (session, actor):
        assert actor is not None
        view = service.read_engagement(session=session, actor=actor, engagement_id=engagement)
    _print(view.model_dump())


@app.command("brief")
def brief_pdf(engagement: Annotated[str, typer.Argument(help="id of the engagement")], as_user: AsUser,
              out: Annotated[Path, typer.Option("--out", help="the PDF file to write")], language: Language = "en"
              ) -> None:
    """Write the printable brief (PDF) of an engagement and its commitments' progress."""
    lang = _language(language)
    if not out.parent.is_dir():
        raise fail(f"--out: {out.parent} is not a directory")
    with work(as_user) as (session, actor):
        assert actor is not None
        from binational.engagements import brief  # ReportLab, loaded when a brief is asked for

        pdf = brief.render(session=session, actor=actor, engagement_id=engagement, language=lang)
    # Written beside and put in place once the export's audit entry is committed: never half a file.
    part = out.with_suffix(out.suffix + ".part")
    part.write_bytes(pdf)
    part.replace(out)
    typer.echo(f"{out}\t{len(pdf)} bytes")


@gazetteer_app.command("add")
def gazetteer_add(name: Annotated[str, typer.Argument(help="the name as its owner writes it")],
                  surname: Annotated[str, typer.Option(help="the surname, as written in the name")],
                  office: Annotated[str, typer.Option(help="office code of the gazetteer, e.g. MX-SRE")],
                  as_user: AsUser,
                  title_en: Annotated[str | None, typer.Option(help="title in English")] = None,
                  title_es: Annotated[str | None, typer.Option(help="title in Spanish")] = None,
                  form: Annotated[list[str] | None, typer.Option("--form", help="the name in another script")]
                  = None) -> None:
    """Add an official of a partner government to this node's gazetteer (administrators)."""
    try:
        data = GazetteerPersonIn(name=name, surname=surname, office=office, title_en=title_en, title_es=title_es,
                                 forms=form or [])
    except ValidationError as exc:
        first = exc.errors()[0]
        raise fail(f"--{'.'.join(str(x) for x in first['loc'])}: {first['msg']}") from None
    with work(as_user) as (session, actor):
        assert actor is not None
        row = service.add_official(session=session, actor=actor, data=data)
    typer.echo(f"{row.id}\t{row.name}")


@gazetteer_app.command("list")
def gazetteer_list() -> None:
    """Every official of the gazetteer: name, office, country, forms in other scripts."""
    with work(None) as (session, _):
        found = service.gazetteer(session=session)
    for person in found.people:
        office = found.offices.get(person.office)
        typer.echo("\t".join([person.name, person.office, office.country if office else "",
                              " | ".join(person.forms), "added" if person.added else "shipped"]))
