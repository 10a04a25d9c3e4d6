from __future__ import annotations

import pytest
import yaml
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zerowaste.service import main
from zerowaste.service.db.engine import make_engine
from zerowaste.service.db.migrate import upgrade
from zerowaste.service.db.models import AbcItem, Offer
from zerowaste.service.rules import RulesMismatch, load_rules, read_rules, rules_path


def test_loading_twice_keeps_staff_edits_unless_replaced(database_url: str) -> None:
    upgrade(database_url)
    engine = make_engine(database_url)
    rules = read_rules(rules_path("wuppertal"))
    with Session(engine) as s:
        load_rules(s, rules)
        assert s.scalar(select(func.count()).select_from(AbcItem)) == len(rules.abc)
        offer = s.scalars(select(Offer).where(Offer.key == "leihbar-stadtbibliothek")).one()
        offer.name = "LeihBar (edited by staff)"
        s.commit()
        assert load_rules(s, rules) == {"streams": 0, "abc": 0, "offers": 0, "neighbourhoods": 2, "challenges": 3}
        assert s.scalars(select(Offer.name).where(Offer.key == "leihbar-stadtbibliothek")).one().endswith("staff)")
        written = load_rules(s, rules, replace=True)
        assert written["offers"] == len(rules.offers)
        assert (
            s.scalars(select(Offer.name).where(Offer.key == "leihbar-stadtbibliothek"))
            .one()
            .startswith("LeihBar – Bibliothek")
        )
        keys = [o.key for o in rules.offers]
        assert s.scalar(select(func.count()).select_from(Offer).where(Offer.key.in_(keys))) == len(rules.offers)
    engine.dispose()


def test_rules_load_command_validates_and_replaces(tmp_path, monkeypatch, capsys) -> None:
    from zerowaste.cli import main
    from zerowaste.service.config import get_settings

    monkeypatch.setenv("ZEROWASTE_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    get_settings.cache_clear()
    n = len(read_rules(rules_path("wuppertal")).offers)
    try:
        assert main(["rules", "load"]) == 0
        assert f"'offers': {n}" in capsys.readouterr().out
        assert main(["rules", "load"]) == 0
        assert "'offers': 0" in capsys.readouterr().out
        assert main(["rules", "load", "--replace"]) == 0
        assert f"'offers': {n}" in capsys.readouterr().out
    finally:
        get_settings.cache_clear()


def test_the_citizen_page_addresses_people_as_the_rules_file_says(settings, tmp_path, monkeypatch) -> None:
    with TestClient(main.create_app(settings)) as c:
        assert '"Sie" === "du"' in c.get("/").text  # Wuppertal: the default, "Sie"
    data = yaml.safe_load(rules_path("wuppertal").read_text(encoding="utf-8"))
    data["form_of_address"] = "du"
    du = tmp_path / "du.yaml"
    du.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with TestClient(main.create_app(settings.model_copy(update={"rules_file": du}))) as c:
        page = c.get("/").text
        assert '"du" === "du"' in page and "Fotografiere einen Gegenstand. Wir sagen dir" in page
    data["form_of_address"] = "ihr"
    du.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ValidationError, match="form_of_address"):
        read_rules(du)


def test_another_city_runs_from_its_own_rules_file_without_a_fork(settings, tmp_path) -> None:
    """ZEROWASTE_RULES_FILE names a file outside the package; its municipality must be the configured one."""
    data = yaml.safe_load(rules_path("wuppertal").read_text(encoding="utf-8"))
    data["municipality"], data["name"] = "solingen", "Solingen (test copy)"
    data["abc"][0]["synonyms"] = [*data["abc"][0].get("synonyms", []), "Klingenstadt-Testwort"]
    other = tmp_path / "solingen.yaml"
    other.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    city = settings.model_copy(update={"rules_file": other, "municipality": "solingen"})
    with TestClient(main.create_app(city)) as c:
        hits = c.get("/v1/search", params={"q": "Klingenstadt-Testwort"}).json()
        assert hits["results"][0]["key"] == data["abc"][0]["key"]
    with pytest.raises(RulesMismatch, match="solingen"):
        main.create_app(settings.model_copy(update={"rules_file": other}))  # still "wuppertal"
