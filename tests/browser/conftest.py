"""Fixtures of the browser tests: JupyterLab on a copy of the notebooks, headless Chromium.

Every test here is marked ``browser``. They run when Debian's Chromium and Playwright for Python
(the ``browser`` extra) are installed, and are skipped with instructions otherwise; in CI (the
environment variable CI is set) a missing browser fails the run instead. A failing test leaves a
screenshot and the page's text in tests/browser/artifacts/ (git-ignored).
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from labdriver import CHROMIUM_ARGS, ROOT, chromium_path, start_lab

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
HOW = (
    "browser tests need Debian's Chromium and Playwright for Python: "
    "`sudo apt-get install chromium` and `.venv/bin/python -m pip install -e '.[browser]'`"
)


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).resolve().parent
    for item in items:
        if here in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.browser)


def _missing() -> str | None:
    if chromium_path() is None:
        return "chromium not found"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed"
    return None


@pytest.fixture(scope="session")
def chromium():
    missing = _missing()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"{missing} (CI must run the browser tests). {HOW}", pytrace=False)
        pytest.skip(f"{missing}. {HOW}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def course(tmp_path_factory):
    """A temporary course folder: notebooks/ copied, data/ empty (the offline sample: fast).

    JupyterLab serves this folder; notebooks open as notebooks/NAME, student versions as student/NAME.
    """
    root = tmp_path_factory.mktemp("course")
    skip = shutil.ignore_patterns(".ipynb_checkpoints")
    shutil.copytree(ROOT / "notebooks", root / "notebooks", ignore=skip)
    shutil.copytree(ROOT / "benchmarks" / "results", root / "benchmarks" / "results")
    (root / "data").mkdir()
    return root


@pytest.fixture(scope="session")
def lab(chromium, course):
    server = start_lab(course, course / "jupyterlab.log")
    yield server
    server.stop()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.browser_failed = report.failed
    return report


@pytest.fixture
def page(chromium, lab, request):
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(30_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.errors = errors
    yield page
    if getattr(request.node, "browser_failed", False):
        ARTIFACTS.mkdir(exist_ok=True)
        stem = re.sub(r"[^\w.-]+", "_", request.node.name)
        try:
            page.screenshot(path=str(ARTIFACTS / f"{stem}.png"), full_page=True)
            (ARTIFACTS / f"{stem}.txt").write_text(page.inner_text("body"), encoding="utf-8")
        except Exception as exc:  # noqa: BLE001 - the test's own failure is what matters
            print(f"could not save the screenshot: {exc}")
        shutil.copy(lab.log, ARTIFACTS / "jupyterlab.log")
    context.close()
