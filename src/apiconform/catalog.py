"""The rule catalog: every rule the kit checks, with a stable id, a level and its quoted clause.

Catalogs live in `fixtures/<profile>/rules.yaml`. The quoted clause is verbatim text of
the conventions document; where the document is silent the rule names the assumption
from DESIGN.md it relies on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from apiconform import yamlfile
from apiconform.errors import ConfigError
from apiconform.locations import fixtures_dir

PROFILES = ("boomerang", "booga")
LEVELS = ("must", "should")
# What a rule may need before it can run; without it the rule is `skip` with the reason.
REQUIREMENTS = {
    "https": "the target is not https:// (plain-HTTP rejection is only probed on an https target)",
    "token_b": "APICONFORM_TOKEN_B is not set (a key of a second tenant is needed)",
    "writes": "writes are not allowed (pass --allow-writes to run write rules)",
    "exhaust": "rate-limit exhaustion is not allowed (pass --exhaust-rate-limit)",
    "scoped_key": "the target file names no key lacking scope",
}


@dataclass(frozen=True)
class Rule:
    id: str
    profile: str
    title: str
    level: str
    clause: str
    section: str
    release: str = "0.1"
    assumption: str | None = None
    requires: tuple[str, ...] = ()
    note: str | None = None
    # Rules whose breaking can also fail this one (its test needs what they guarantee): the one
    # dependency a single-rule breaker may drag along. Everything else must stay unaffected.
    depends_on: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "title": self.title,
            "level": self.level,
            "clause": self.clause,
            "section": self.section,
            "release": self.release,
            "assumption": self.assumption,
            "requires": list(self.requires),
            "depends_on": list(self.depends_on),
        }


@dataclass(frozen=True)
class Catalog:
    profile: str
    document: str
    title: str
    rules: tuple[Rule, ...] = field(default_factory=tuple)

    def get(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)

    @property
    def ids(self) -> list[str]:
        return [rule.id for rule in self.rules]


@cache
def load_catalog(profile: str) -> Catalog:
    if profile not in PROFILES:
        raise ConfigError(f"unknown profile {profile!r}; choose one of: {', '.join(PROFILES)}")
    path = fixtures_dir(profile) / "rules.yaml"
    raw = yamlfile.safe_load(path.read_text(encoding="utf-8"))
    rules = []
    for entry in raw["rules"]:
        level = entry.get("level", "must")
        if level not in LEVELS:
            raise ValueError(f"{path}: rule {entry['id']} has unknown level {level!r}")
        requires = tuple(entry.get("requires") or ())
        unknown = [r for r in requires if r not in REQUIREMENTS and not r.startswith("feature:")]
        if unknown:
            raise ValueError(f"{path}: rule {entry['id']} requires unknown {unknown}")
        rules.append(
            Rule(
                id=entry["id"],
                profile=profile,
                title=entry["title"],
                level=level,
                clause=" ".join(str(entry["clause"]).split()),
                section=entry.get("section", ""),
                release=str(entry.get("release", "0.1")),
                assumption=entry.get("assumption"),
                requires=requires,
                note=entry.get("note"),
                depends_on=tuple(entry.get("depends_on") or ()),
            )
        )
    ids = [r.id for r in rules]
    dupes = {i for i in ids if ids.count(i) > 1}
    if dupes:
        raise ValueError(f"{path}: duplicate rule ids {sorted(dupes)}")
    for rule in rules:
        unknown_deps = [d for d in rule.depends_on if d not in ids or d == rule.id]
        if unknown_deps:
            raise ValueError(f"{path}: rule {rule.id} depends on unknown rules {unknown_deps}")
    return Catalog(profile=profile, document=raw["document"], title=raw["title"], rules=tuple(rules))


def dependents(rule: Rule) -> set[str]:
    """Rules of the same catalog that may fail along with `rule` (they declare depends_on it)."""
    return {r.id for r in load_catalog(rule.profile).rules if rule.id in r.depends_on}


def find_rule(rule_id: str) -> Rule:
    for profile in PROFILES:
        catalog = load_catalog(profile)
        if rule_id in catalog.ids:
            return catalog.get(rule_id)
    raise KeyError(rule_id)


# Where the suites judge each rule, in words (`apiconform rules`, README): read from the
# suites' own markers, so it can never drift from what runs.
WHERE_WORDS = {"list": "every paginated list", "single": "every single resource", "other": "every other endpoint",
               "any": "every endpoint", "writable": "every writable resource", None: "the deployment as a whole"}


def judged_where(profile: str) -> dict[str, list[str]]:
    """Rule id -> where its tests judge it ("every paginated list", "the deployment as a whole"),
    from the `rule` and `endpoints` markers of suites/<profile>/ (parsed, not imported)."""
    import ast

    from apiconform.locations import suites_dir

    where: dict[str, list[str]] = {}
    for file in sorted(suites_dir(profile).glob("test_*.py")):
        tree = ast.parse(file.read_text(encoding="utf-8"))
        for node in tree.body:
            if not isinstance(node, ast.FunctionDef):
                continue
            marks: dict[str, str | None] = {}
            for decorator in node.decorator_list:
                if isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Attribute) \
                        and decorator.func.attr in ("rule", "endpoints"):
                    arg = decorator.args[0] if decorator.args else None
                    marks[decorator.func.attr] = str(arg.value) if isinstance(arg, ast.Constant) else "any"
            if "rule" in marks:
                words = WHERE_WORDS[marks.get("endpoints")]
                places = where.setdefault(str(marks["rule"]), [])
                if words not in places:
                    places.append(words)
    return where
