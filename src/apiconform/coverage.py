"""Where each rule judged: its endpoints, the run's coverage table, and evidence that settles.

After the tests and the whole-run judgement, every rule knows the exchanges it judged, those
that showed a violation and those that left it undecided (results.RuleResult). From them:

- `endpoints` per rule (report.json): each endpoint of the deployment's surface the rule
  judged, with how many exchanges and its verdict there (fail where a violation showed, error
  where it could not be decided, skip where the data could not show the property);
- `coverage` (report.json, report.html): every endpoint the kit found, its kind, and for each
  rule family (the id's second part: LIST, AUTH, RATE, ...) the worst verdict of its rules there,
  or `null` where no rule of the family judged it; endpoints no rule judged at all are listed
  as uncovered, with why when the kit knows.

`settle_evidence` enforces two principles in one place, for every rule alike:
- a rule passes only after judging at least one exchange ("no evidence" is `error`);
- a 404 to everything the run sent says the base URL is wrong: a failure resting on such answers
  is then `error`, pointing at the base URL, never blamed on the target.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from apiconform.exchange import Exchange
from apiconform.results import RuleResult
from apiconform.surface import KIND_WORDS, Surface, describe

_SEVERITY = {"fail": 3, "error": 2, "pass": 1, "skip": 0}
# Rule ids whose second part is not the family a reader looks for.
_FAMILY_ALIASES = {"NOT": "ERROR", "NO": "ERROR", "MALFORMED": "QUERY", "CONTENT": "REQUEST",
                   "IDEMPOTENT": "REQUEST", "TIMESTAMPS": "RESPONSE", "GZIP": "RESPONSE"}


def family(rule_id: str) -> str:
    part = rule_id.split("-")[1] if rule_id.count("-") >= 1 else rule_id
    return _FAMILY_ALIASES.get(part, part)


def _where(ex: Exchange, surface: Surface | None) -> str:
    if surface is not None:
        label = surface.label_of(ex.request.url)
        if label:
            return label
    return urlsplit(ex.request.url).path


def settle_evidence(results: Sequence[RuleResult], exchanges: Sequence[Exchange], base_url: str,
                    surface: Surface | None = None) -> None:
    """No pass without a judged exchange; the base URL blamed only when nothing answered but 404.

    An endpoint where every request answered 404 is `error` for that endpoint alone (its test
    said so); a failure whose evidence is only such answers, in a run where no request at all
    was answered otherwise, says the base URL is wrong: `error`, never blamed on the target. A
    documented fixed path answering 404 while other paths answer is the target's failure.
    """
    answered = [ex for ex in exchanges if ex.response is not None and ex.request.method.upper() == "GET"]
    nothing_but_404 = bool(answered) and all(ex.response is not None and ex.response.status == 404
                                             for ex in answered)
    for result in results:
        if result.verdict == "fail" and result.offending and nothing_but_404:
            where = sorted({_where(ex, surface) for ex in result.offending})
            result.verdict = "error"
            result.reason = (f"every request of the run answered 404 ({', '.join(where[:3])} among them): the base "
                             f"URL ({base_url}) is probably wrong (a gateway prefix belongs in --base-url); nothing "
                             "was judged")
            result.inconclusive.extend(result.offending)
            result.offending = []
        if result.verdict == "pass" and result.judged == 0:
            result.verdict = "error"
            result.reason = "no exchange was judged for this rule: it has no evidence to pass on"


def endpoint_rows(result: RuleResult, surface: Surface | None) -> list[dict[str, Any]]:
    """Where the rule judged: one row per endpoint, with its verdict there."""
    judged = Counter(_where(ex, surface) for ex in result.seen)
    failed = {_where(ex, surface) for ex in result.offending}
    undecided = {_where(ex, surface) for ex in result.inconclusive}
    known = [e.label for e in surface.endpoints] if surface is not None else sorted(judged)
    rows = []
    for label in known:
        outcome = result.endpoint_outcomes.get(label)
        verdict, reason = (outcome.verdict, outcome.reason) if outcome is not None else ("", "")
        if label in failed:
            verdict = "fail"
        elif verdict not in ("fail", "error") and label in undecided:
            verdict = "error"
        elif not verdict and judged.get(label):
            verdict = "pass"
        elif verdict == "pass" and not judged.get(label):
            items_of = next((w.item for w in surface.writable if w.collection == label), None) \
                if surface is not None else None
            if items_of is not None and judged.get(items_of):
                # A write rule's item is the writable resource, named by its list: its PUT, PATCH
                # and DELETE (and GET by id) are on the resource's items, where they are judged.
                reason = reason or f"judged on its items ({items_of}): PUT, PATCH, DELETE and GET by id go there"
            else:
                # A cell says only what was judged there (its item passed on no exchange of its own).
                verdict, reason = "skip", reason or "no exchange of it was judged there"
        if verdict:
            rows.append({"endpoint": label, "judged": judged.get(label, 0), "verdict": verdict,
                         "reason": reason})
    return rows


def coverage_report(results: Sequence[RuleResult], surface: Surface | None, stopped: str = "") -> dict[str, Any]:
    """report.json's `surface` and `coverage` (and every rule's `endpoints`, set here).

    `stopped` says why the run stopped sending early (the budget, an unhealthy target, a
    signal): every endpoint a family of rules then never judged is listed as incomplete with it.
    """
    for result in results:
        result.endpoints = endpoint_rows(result, surface)
    if surface is None:
        # The rules run needed nothing of the deployment's surface (a run narrowed by --rules).
        return {"coverage": {"families": [], "endpoints": [], "uncovered": [], "incomplete": []}}
    families = sorted({family(r.rule.id) for r in results})
    # Each endpoint's rows, in the rules' order: read once, not once per endpoint (301 endpoints
    # by 40 rules of up to 301 rows each would be some 3.6 million comparisons).
    rows_at: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for result in results:
        fam = family(result.rule.id)
        for row in result.endpoints:
            rows_at.setdefault(row["endpoint"], []).append((fam, row))
    table: list[dict[str, Any]] = []
    for endpoint in surface.endpoints:
        cells: dict[str, str | None] = dict.fromkeys(families)
        reasons: list[str] = []
        for fam, row in rows_at.get(endpoint.label, []):
            if cells[fam] is None or _SEVERITY[row["verdict"]] > _SEVERITY[str(cells[fam])]:
                cells[fam] = row["verdict"]
            if row["verdict"] == "error" and row["reason"] and row["reason"] not in reasons:
                reasons.append(row["reason"])
        if stopped and None in cells.values():
            reasons.append(f"not every rule reached it: {stopped}")
        table.append({"endpoint": endpoint.label, "kind": endpoint.kind, "kind_words": KIND_WORDS[endpoint.kind],
                      "group": endpoint.group, "families": cells,
                      "covered": any(v in ("pass", "fail") for v in cells.values()), "reasons": reasons[-3:]})
    return {"surface": describe(surface),
            "coverage": {"families": families, "endpoints": table,
                         # No rule judged these at all; on the next, some rule could not be judged.
                         "uncovered": [row["endpoint"] for row in table if not row["covered"]],
                         "incomplete": [{"endpoint": row["endpoint"], "reasons": row["reasons"]} for row in table
                                        if row["reasons"]]}}
