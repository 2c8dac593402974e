"""Accessibility checks in the real browser, shared by tests/browser/test_a11y_*.py.

axe-core comes from npm, pinned by tests/browser/package-lock.json and installed by `make test`
(`make axe`: npm ci). It is added to every document of a context as an init script: Playwright's init
scripts are not subject to the page's Content-Security-Policy, so the console runs under its real
policy while axe checks it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
AXE = HERE / "node_modules" / "axe-core" / "axe.min.js"
CHECKS = HERE / "a11y_checks.js"
# WCAG 2.0/2.1/2.2 A and AA, and axe's own best practices (landmarks, headings, ...).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
SEVERE = {"critical", "serious"}


def axe_source() -> Path:
    if not AXE.exists():
        message = f"!!! {AXE} is missing: run `make axe` (npm ci in tests/browser) first."
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return AXE


def axe_run(page, rules: list[str] | None = None) -> list[dict]:
    """axe's violations on the page as it is now: [{id, impact, help, targets}]."""
    options = (
        {"runOnly": {"type": "rule", "values": rules}}
        if rules
        else {"runOnly": {"type": "tag", "values": AXE_TAGS}}
    )
    options["resultTypes"] = ["violations"]
    return page.evaluate(
        """async (options) => {
            const result = await window.axe.run(document, options);
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                targets: v.nodes.slice(0, 4).map(
                    n => n.target.join(" ") + " :: " + (n.failureSummary || "").split("\\n")[1]
                ),
            }));
        }""",
        options,
    )


def layout_problems(page) -> list[str]:
    return page.evaluate("window.a11yChecks.layoutProblems()")


def broken_idrefs(page) -> list[str]:
    return page.evaluate("window.a11yChecks.brokenIdrefs()")


def a11y_context(browser, base_url: str, **options):
    """A browser context whose every document has axe-core and the checks of a11y_checks.js."""
    context = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 800}, **options)
    context.add_init_script(path=str(axe_source()))
    context.add_init_script(path=str(CHECKS))
    return context
