"""The dashboard in headless Chromium (Debian's), logged in as an admin: a full-page screenshot
and what the charts show, for the dashboard test and the demo's end-to-end test."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from dashboards import settings
from dashboards.bundle import load_dir

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DASHBOARD_SLUG = "ivica-live-demographics"


@dataclass(frozen=True)
class Rendered:
    charts: int  # chart holders on the page
    expected_charts: int  # charts in the bundle
    errors: list[str]  # error alerts inside chart holders
    error_texts: list[str]  # chart text (tables left out) that reads like an error
    canvases: int  # drawn ECharts
    table_rows: int


def render_dashboard(base: str, user: str, password: str, screenshot: Path) -> Rendered:
    """Log in, open the dashboard, wait until every chart is drawn, take the screenshot."""
    if not CHROMIUM.is_file():
        pytest.fail("Debian's chromium is missing: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    screenshot.parent.mkdir(parents=True, exist_ok=True)
    n_charts = len([p for p in load_dir(settings.BUNDLE_DIR) if p.startswith("charts/")])
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1200})
            page.goto(f"{base}/login/")
            page.fill("#username", user)
            page.fill("#password", password)
            page.click("[data-test=login-button]")
            page.wait_for_url(lambda u: "/login" not in u, timeout=30_000)
            page.goto(f"{base}/superset/dashboard/{DASHBOARD_SLUG}/")
            holders = page.locator(".dashboard-component-chart-holder")
            holders.first.wait_for(timeout=60_000)
            page.wait_for_function(
                """n => {
                  const h = document.querySelectorAll('.dashboard-component-chart-holder');
                  if (h.length < n) return false;
                  const busy = '.loading, [data-test=loading-indicator]';
                  const drawn = 'canvas, svg, table, .header-line, .big-number, '
                    + '.ant-alert, [role=alert], .ant-empty';
                  return [...h].every(c => !c.querySelector(busy) && c.querySelector(drawn));
                }""",
                arg=n_charts,
                timeout=90_000,
            )
            page.wait_for_load_state("networkidle")
            page.wait_for_timeout(1500)  # let ECharts finish its entry animation
            page.screenshot(path=str(screenshot), full_page=True)
            errors = page.locator(
                ".dashboard-component-chart-holder :is(.ant-alert-error, [role=alert], "
                "[data-test=error-tooltip], .alert-danger)"
            )
            # Chart text outside data tables (a DLQ reason may well say "error").
            texts = page.evaluate(
                """() => [...document.querySelectorAll('.dashboard-component-chart-holder')]
                  .map(h => { const c = h.cloneNode(true);
                              c.querySelectorAll('table').forEach(t => t.remove());
                              return c.textContent; })"""
            )
            bad = ("Unexpected error", "Error", "No results", "There was an issue")
            return Rendered(
                charts=holders.count(),
                expected_charts=n_charts,
                errors=errors.all_inner_texts(),
                error_texts=[t for t in texts if any(b in t for b in bad)],
                canvases=page.locator(".dashboard-component-chart-holder canvas").count(),
                table_rows=page.locator(".dashboard-component-chart-holder table tbody tr").count(),
            )
        finally:
            browser.close()
