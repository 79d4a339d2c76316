"""A dashboard in headless Chromium (Debian's), logged in as an admin: a full-page screenshot
and what the charts show, for the dashboard test and the demo's end-to-end test."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
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
FOOTFALL_SLUG = "ivica-footfall-and-dwell"
HOLDER = ".dashboard-component-chart-holder"


@dataclass(frozen=True)
class Rendered:
    charts: int  # chart holders on the page
    expected_charts: int  # charts in the bundle
    errors: list[str]  # error alerts inside chart holders
    error_texts: list[str]  # chart text (tables left out) that reads like an error
    canvases: int  # drawn ECharts
    table_rows: int


def slugs() -> list[str]:
    """The slugs of the bundle's dashboards."""
    bundle = load_dir(settings.BUNDLE_DIR)
    return [doc["slug"] for path, doc in bundle.items() if path.startswith("dashboards/")]


def chart_names(slug: str) -> list[str]:
    """The charts placed in the bundle's dashboard `slug`."""
    bundle = load_dir(settings.BUNDLE_DIR)
    doc = next(d for p, d in bundle.items() if p.startswith("dashboards/") and d["slug"] == slug)
    return [
        node["meta"]["sliceName"]
        for node in doc["position"].values()
        if isinstance(node, dict) and node.get("type") == "CHART"
    ]


def render_dashboard(
    base: str, user: str, password: str, screenshot: Path, slug: str = DASHBOARD_SLUG
) -> Rendered:
    """Log in, open the dashboard `slug`, wait until every chart is drawn, take the
    screenshot."""
    if not CHROMIUM.is_file():
        pytest.fail("Debian's chromium is missing: apt-get install -y chromium")
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
    from playwright.sync_api import sync_playwright

    screenshot.parent.mkdir(parents=True, exist_ok=True)
    n_charts = len(chart_names(slug))
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1200})
            trouble = Trouble.watch(page)
            try:
                _open_dashboard(page, base, slug, user, password, n_charts)
            except PlaywrightTimeoutError as exc:
                failed = screenshot.with_name(f"{screenshot.stem}.failed.png")
                page.screenshot(path=str(failed), full_page=True)
                pytest.fail(trouble.report(page, exc, failed))
            holders = page.locator(HOLDER)
            page.wait_for_load_state("networkidle")
            page.wait_for_timeout(1500)  # let ECharts finish its entry animation
            page.screenshot(path=str(screenshot), full_page=True)
            errors = page.locator(
                f"{HOLDER} :is(.ant-alert-error, [role=alert], "
                "[data-test=error-tooltip], .alert-danger)"
            )
            # Chart text outside data tables (a DLQ reason may well say "error").
            texts = page.evaluate(
                """holder => [...document.querySelectorAll(holder)]
                  .map(h => { const c = h.cloneNode(true);
                              c.querySelectorAll('table').forEach(t => t.remove());
                              return c.textContent; })""",
                HOLDER,
            )
            bad = ("Unexpected error", "Error", "No results", "There was an issue")
            return Rendered(
                charts=holders.count(),
                expected_charts=n_charts,
                errors=errors.all_inner_texts(),
                error_texts=[t for t in texts if any(b in t for b in bad)],
                canvases=page.locator(f"{HOLDER} canvas").count(),
                table_rows=page.locator(f"{HOLDER} table tbody tr").count(),
            )
        finally:
            browser.close()


def _open_dashboard(page, base: str, slug: str, user: str, password: str, n_charts: int) -> None:
    """Log in, open the dashboard `slug` and wait until each of its `n_charts` charts is drawn;
    print how long each step took."""
    t0 = time.monotonic()
    page.goto(f"{base}/login/")
    page.fill("#username", user)
    page.fill("#password", password)
    page.click("[data-test=login-button]")
    page.wait_for_url(lambda u: "/login" not in u, timeout=30_000)
    t1 = time.monotonic()
    page.goto(f"{base}/superset/dashboard/{slug}/")
    page.locator(HOLDER).first.wait_for(timeout=60_000)
    t2 = time.monotonic()
    page.wait_for_function(
        """([n, holder]) => {
          const h = document.querySelectorAll(holder);
          if (h.length < n) return false;
          const busy = '.loading, [data-test=loading-indicator]';
          const drawn = 'canvas, svg, table, .header-line, .big-number, '
            + '.ant-alert, [role=alert], .ant-empty';
          return [...h].every(c => !c.querySelector(busy) && c.querySelector(drawn));
        }""",
        arg=[n_charts, HOLDER],
        timeout=90_000,
    )
    print(
        f"dashboard: logged in {t1 - t0:.1f} s, first chart holder {t2 - t1:.1f} s, "
        f"{n_charts} charts drawn {time.monotonic() - t2:.1f} s"
    )


@dataclass
class Trouble:
    """What went wrong in the page while it loaded: HTTP errors, failed requests, console
    errors; for a failure message that says why the dashboard did not draw."""

    http: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)

    @classmethod
    def watch(cls, page) -> Trouble:
        seen = cls()
        page.on("response", seen._response)
        page.on("requestfailed", seen._request_failed)
        page.on("console", seen._console)
        return seen

    def _response(self, r) -> None:
        if r.status >= 400:
            self.http.append(f"{r.status} {r.request.method} {r.url}")

    def _request_failed(self, r) -> None:
        self.http.append(f"failed ({r.failure}) {r.method} {r.url}")

    def _console(self, m) -> None:
        if m.type == "error":
            self.console.append(m.text[:300])

    def report(self, page, exc: Exception, screenshot: Path) -> str:
        text = page.evaluate("() => document.body ? document.body.innerText : ''")
        return "\n".join(
            [
                f"the dashboard did not draw: {str(exc).splitlines()[0]}",
                f"page {page.url} ({page.title()!r}), screenshot {screenshot}",
                f"page text: {' '.join(text.split())[:800]!r}",
                "HTTP errors and failed requests:",
                *[f"  {line}" for line in self.http[:20]],
                "console errors:",
                *[f"  {line}" for line in self.console[:20]],
            ]
        )
