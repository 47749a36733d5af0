"""Readout intake on texts it has never seen: the shared Arabic news report (when present) and short
readouts in English and Spanish written for these tests, each worded differently."""

import os
from pathlib import Path

import pytest

from binational.engagements import stemming
from binational.engagements.gazetteer import Official, shipped
from binational.engagements.intake import propose
from binational.engagements.transliterate import arabic_to_latin, similarity, sound_key

READOUTS = Path(__file__).parent / "readouts"
PUBLIC = Path(os.environ.get("BINATIONAL_PUBLIC_DATA", "../shared/data"))
ARABIC = PUBLIC / "engagements" / "readout-ar.txt"


def _names(proposal):
    return {p.name for p in proposal.participants}


@pytest.mark.skipif(not ARABIC.is_file(), reason=f"public data absent: {ARABIC} (set BINATIONAL_PUBLIC_DATA)")
def test_the_arabic_news_report_of_a_us_mexico_call():
    proposal = propose(ARABIC.read_text(encoding="utf-8"), shipped())
    assert proposal.language == "ar" and not proposal.language_flagged
    assert _names(proposal) == {"Christopher Landau", "Juan Ramón de la Fuente"}
    by_name = {p.name: p for p in proposal.participants}
    assert by_name["Christopher Landau"].country == "US" and by_name["Christopher Landau"].office_code == "US-DOS"
    # The gazetteer has no Arabic form of this name: found through the sound of its words.
    assert by_name["Juan Ramón de la Fuente"].country == "MX"
    assert by_name["Juan Ramón de la Fuente"].mentioned_as == "خوان رامون دي لا فوينتي"
    assert set(proposal.countries) == {"US", "MX"}
    assert {"border_security", "migration_returns", "drug_trafficking", "arms_trafficking",
            "trade_investment"} <= set(proposal.topics)


def test_an_english_readout():
    proposal = propose((READOUTS / "call-en.txt").read_text(encoding="utf-8"), shipped())
    assert proposal.language == "en"
    assert _names(proposal) == {"Marco Rubio", "Juan Ramón de la Fuente"}  # written without the accent
    assert set(proposal.countries) == {"US", "MX"}
    assert {"border_security", "drug_trafficking", "arms_trafficking", "migration_returns",
            "trade_investment"} <= set(proposal.topics)


def test_a_spanish_joint_statement():
    proposal = propose((READOUTS / "reunion-es.txt").read_text(encoding="utf-8"), shipped(), "es")
    assert proposal.language == "es"
    assert _names(proposal) == {"Omar García Harfuch", "Kristi Noem"}
    noem = next(p for p in proposal.participants if p.name == "Kristi Noem")
    assert noem.office == "Departamento de Seguridad Nacional" and noem.country == "US"
    assert set(proposal.countries) == {"MX", "US"}
    assert {"drug_trafficking", "arms_trafficking", "migration_returns", "organised_crime",
            "border_security"} <= set(proposal.topics)
    assert "trade_investment" not in proposal.topics


def test_a_person_the_gazetteer_lacks_is_proposed_after_a_title():
    proposal = propose((READOUTS / "visita-es.txt").read_text(encoding="utf-8"), shipped())
    unknown = [p for p in proposal.participants if not p.known]
    assert [(p.name, p.title) for p in unknown] == [("Martha Bárcena Coqui", "embajadora")]
    assert {"Claudia Sheinbaum", "Marcelo Ebrard"} <= _names(proposal)
    assert proposal.topics == ["trade_investment"]


def test_an_unknown_language_is_flagged_not_refused():
    proposal = propose((READOUTS / "note-fr.txt").read_text(encoding="utf-8"), shipped())
    assert proposal.language == "unknown" and proposal.language_flagged


def test_a_name_in_cyrillic_reaches_the_gazetteer_through_anyascii():
    proposal = propose("Марко Рубио и Клаудия Шейнбаум обсудили границу.", shipped())
    assert proposal.language_flagged
    assert _names(proposal) == {"Marco Rubio", "Claudia Sheinbaum"}


def test_an_administrators_addition_is_matched_in_arabic_without_a_form():
    extra = Official(name="Alicia Bárcena Ibarra", surname="Bárcena", office="MX-SRE")
    text = "التقت أليسيا بارسينا إيبارا بنظيرها الأمريكي لبحث ملف الهجرة."
    assert "Alicia Bárcena Ibarra" not in _names(propose(text, shipped()))
    assert "Alicia Bárcena Ibarra" in _names(propose(text, shipped().with_people([extra])))


@pytest.mark.parametrize(("written", "stem_of"), [
    ("والأسلحة", "سلاح أسلحة"), ("للحدود", "الحدود"), ("المهاجرين", "مهاجر"), ("الاستثمارية", "استثمار"),
])
def test_arabic_clitics_and_suffixes_come_off(written, stem_of):
    assert stemming.stem_arabic(written) in {stemming.stem_arabic(w) for w in stem_of.split()}


@pytest.mark.parametrize(("words", "language"), [
    (("migraciones", "migración"), "es"), (("migrantes", "migrante"), "es"), (("fronteras", "frontera"), "es"),
    (("deportations", "deportation", "deported"), "en"), (("trafficking", "traffickers", "trafficked"), "en"),
])
def test_latin_inflections_share_a_stem(words, language):
    stems = {stemming.stem(w, language)[:6] for w in words}
    assert len(stems) == 1, stems


def test_sound_keys_across_scripts():
    assert sound_key("كريستوفر") == sound_key("Christopher")
    assert similarity(sound_key("لاندو"), sound_key("Landau")) == 1.0
    assert sound_key("فوينتي") == sound_key("Fuente")
    assert similarity(sound_key("Sheinbaum"), sound_key("Ebrard")) < 0.5
    assert arabic_to_latin("رامون") == "Ramon"
