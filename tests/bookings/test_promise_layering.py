"""No face works out what a customer may do: only ``bookings/`` calls the raw policy rules.

Pages, emails and the API read ``bookings.selectors.self_service_status`` (or its twin
``self_service_preview``), so they all say what the actions will allow. This test reads the
source of every module outside ``bookings/`` and fails on any use of the raw rules.
"""

from __future__ import annotations

import ast
from pathlib import Path

import slotwise

#: The raw customer rules; outside ``bookings/`` they are reached only through the selector.
RAW_RULES = frozenset({"customer_refusal", "allowed_customer_actions", "BookingFacts", "facts_of"})
ROOT = Path(slotwise.__file__).parent


def raw_rule_uses(source: str) -> list[tuple[int, str]]:
    """(line, name) of every import or attribute use of a raw rule in ``source``."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            found += [(node.lineno, a.name) for a in node.names if a.name in RAW_RULES]
        elif isinstance(node, ast.Attribute) and node.attr in RAW_RULES:
            found.append((node.lineno, node.attr))
        elif isinstance(node, ast.Name) and node.id in RAW_RULES:
            found.append((node.lineno, node.id))
    return found


def test_the_check_sees_imports_and_calls():
    assert raw_rule_uses("from slotwise.bookings.policy import customer_refusal") == [
        (1, "customer_refusal")
    ]
    assert raw_rule_uses("policy.allowed_customer_actions(f, now)") == [
        (1, "allowed_customer_actions")
    ]
    assert raw_rule_uses("selectors.self_service_status(b, now).allowed") == []


def test_no_face_calls_the_raw_customer_rules():
    offenders = []
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT)
        if relative.parts[0] == "bookings":
            continue
        for line, name in raw_rule_uses(path.read_text(encoding="utf-8")):
            offenders.append(f"{relative}:{line} uses {name}")
    assert offenders == [], "use bookings.selectors.self_service_status instead:\n" + "\n".join(
        offenders
    )
