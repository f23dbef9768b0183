"""Catalog <-> suite coupling: a rule without a test, or a test without a rule, is a defect."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from apiconform import mocks
from apiconform.catalog import PROFILES, load_catalog
from apiconform.locations import data_root, fixtures_dir, suites_dir

MARK = re.compile(r"""@pytest\.mark\.rule\(\s*["']([^"']+)["']\s*\)""")


def marked_rules(profile: str) -> set[str]:
    found: set[str] = set()
    for path in suites_dir(profile).glob("test_*.py"):
        found |= set(MARK.findall(path.read_text(encoding="utf-8")))
    return found


@pytest.mark.parametrize("profile", PROFILES)
def test_every_rule_has_a_test_and_every_test_a_rule(profile: str) -> None:
    catalog = set(load_catalog(profile).ids)
    if not catalog:
        pytest.fail(f"{profile} has no rules")
    tested = marked_rules(profile)
    assert catalog - tested == set(), f"rules without a test: {sorted(catalog - tested)}"
    assert tested - catalog == set(), f"tests naming unknown rules: {sorted(tested - catalog)}"


@pytest.mark.parametrize("profile", PROFILES)
def test_every_rule_has_a_mutant(profile: str) -> None:
    catalog = set(load_catalog(profile).ids)
    covered = {m.rule for m in mocks.mutants(profile).values()}
    assert catalog - covered == set(), f"rules no mutant breaks: {sorted(catalog - covered)}"
    assert covered - catalog == set(), f"mutants of unknown rules: {sorted(covered - catalog)}"


@pytest.mark.parametrize("profile", PROFILES)
def test_clauses_are_quoted_from_the_document(profile: str) -> None:
    """Every clause must appear verbatim (modulo white space) in the conventions document."""
    catalog = load_catalog(profile)
    doc = " ".join((fixtures_dir() / "docs" / catalog.document).read_text(encoding="utf-8").split())
    for rule in catalog.rules:
        for fragment in rule.clause.split(" … "):
            assert fragment in doc, f"{rule.id}: clause not found verbatim in {catalog.document}: {fragment!r}"


@pytest.mark.parametrize("document", ["booga-using-the-api.txt", "boomerang-overview.txt"])
def test_carried_documents_are_the_shared_ones(document: str) -> None:
    """fixtures/docs carries the documents verbatim (the wheel has no ../shared beside it)."""
    shared = data_root().parent / "shared" / "docs" / document
    if not shared.exists():
        pytest.skip("../shared/docs is not beside this checkout")
    assert (fixtures_dir() / "docs" / document).read_bytes() == shared.read_bytes()


def test_the_fast_yaml_loader_reads_every_fixture_as_the_python_one_does() -> None:
    import yaml

    from apiconform import yamlfile

    files = sorted(Path(fixtures_dir("booga")).parent.rglob("*.yaml"))
    assert len(files) >= 4
    for file in files:
        text = file.read_text(encoding="utf-8")
        assert yamlfile.parse(text) == yaml.load(text, Loader=yaml.SafeLoader), file
        assert yamlfile.safe_load(text) == yaml.load(text, Loader=yaml.SafeLoader), file  # as cached
