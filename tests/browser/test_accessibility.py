"""axe-core on the course's own content in JupyterLab: no serious or critical violation.

axe-core (Deque's accessibility engine, from the npm registry) is installed once into a cache
folder (``$AXE_CORE_DIR``, default ``~/.cache/nn-from-scratch/axe-core``) with ``npm install``
and injected into the page. It checks what the course wrote, not JupyterLab's chrome: the
rendered markdown and the outputs of every notebook as saved, and the live widgets of chapter 6
in JupyterLab's light and dark themes. Keyboard use of the widgets is tested in
test_widgets_in_browser.py.

One rule is left out where the course cannot meet it: ``image-alt`` on the images of code-cell
outputs. JupyterLab 4 draws an ``image/png`` output as an ``<img>`` without ``alt`` whatever the
output's metadata holds (a known gap: jupyter/enhancement-proposals#120), so a figure's text
alternative is its caption in the markdown beside it. Images in markdown cells keep the rule.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from labdriver import ROOT, open_notebook, run_all

AXE_VERSION = "4"  # the major version the rules below were checked with
CONTENT = [".jp-Notebook .jp-MarkdownOutput", ".jp-Notebook .jp-OutputArea-output"]
WIDGETS = [".nn-mistakes", ".nn-draw"]
NOTEBOOKS = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
SERIOUS = ("serious", "critical")
RUN_AXE = """async ([include, exclude]) => {
  const context = { include: include.filter((s) => document.querySelector(s)) };
  const rules = Object.fromEntries(exclude.map((id) => [id, { enabled: false }]));
  const result = await axe.run(context, { resultTypes: ["violations"], rules });
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map((n) => ({ target: n.target.join(" "), html: n.html.slice(0, 160),
                                 why: n.failureSummary })),
  }));
}"""


@pytest.fixture(scope="session")
def axe_script() -> Path:
    """axe.min.js, installed from the npm registry into a cache folder the first time."""
    folder = Path(os.environ.get("AXE_CORE_DIR", Path.home() / ".cache" / "nn-from-scratch" / "axe-core"))
    script = folder / "node_modules" / "axe-core" / "axe.min.js"
    if script.is_file():
        return script
    npm = shutil.which("npm")
    if npm is None:
        why = "npm is needed to install axe-core (`sudo apt-get install npm`)"
        if os.environ.get("CI"):
            pytest.fail(why, pytrace=False)
        pytest.skip(why)
    folder.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        [npm, "install", "--prefix", str(folder), "--no-audit", "--no-fund", "--no-save",
         f"axe-core@{AXE_VERSION}"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0 and script.is_file(), f"npm install axe-core failed:\n{proc.stderr[-2000:]}"
    return script


def serious_violations(
    page, axe_script: Path, include: list[str], without: tuple[str, ...] = ()
) -> list[dict]:
    """axe's serious and critical violations inside the elements matching ``include``.

    ``without``: ids of axe rules not run.
    """
    if not page.evaluate("() => typeof axe !== 'undefined'"):
        page.add_script_tag(path=str(axe_script))
    found = page.evaluate(RUN_AXE, [include, list(without)])
    return [v for v in found if v["impact"] in SERIOUS]


def describe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"{v['impact']} {v['id']} ({v['help']}), {len(v['nodes'])} element(s):")
        lines += [f"    {n['target']}: {n['html']!r}\n      {n['why']}" for n in v["nodes"][:3]]
    return "\n".join(lines)


# WCAG contrast of every piece of text in the widgets, measured as the reader sees it: the text's
# colour (alpha included) over the backgrounds of the element and its ancestors, blended. axe
# leaves semi-transparent backgrounds to a human ("incomplete"), so the widgets are measured here.
TEXT_CONTRAST = """(selector) => {
  const rgba = (s) => {
    const m = s.match(/[\\d.]+/g).map(Number);
    return [m[0], m[1], m[2], m.length > 3 ? m[3] : 1];
  };
  const over = (top, bottom) => top.slice(0, 3).map((c, i) => top[3] * c + (1 - top[3]) * bottom[i]);
  const lum = (rgb) => rgb.map((c) => (c /= 255) <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4)
    .reduce((s, c, i) => s + c * [0.2126, 0.7152, 0.0722][i], 0);
  function background(el) {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = rgba(getComputedStyle(e).backgroundColor);
      if (c[3] > 0) layers.push(c);
      if (c[3] >= 1) break;
    }
    return layers.reverse().reduce((bg, c) => over(c, bg), [255, 255, 255]);
  }
  const out = [];
  for (const el of document.querySelectorAll(selector)) {
    const text = [...el.childNodes].filter((n) => n.nodeType === 3).map((n) => n.textContent).join("").trim();
    if (!text || !el.offsetParent) continue;
    const bg = background(el);
    const fg = over(rgba(getComputedStyle(el).color), bg);
    const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
    out.push({ text: text.slice(0, 40), cls: el.className, ratio: (a + 0.05) / (b + 0.05) });
  }
  return out;
}"""
TEXTS = (
    "td",
    "th",
    "caption",
    ".nn-caption",
    ".nn-bar span",
    ".nn-item > span",
    ".nn-message",
    "button",
    "b",
)
WIDGET_TEXT = ", ".join(f"{w} {part}" for w in WIDGETS for part in TEXTS)


def low_contrast(page, minimum: float = 4.5) -> tuple[int, list[dict]]:
    """(how many texts were measured, those under ``minimum``:1) in the widgets."""
    measured = page.evaluate(TEXT_CONTRAST, WIDGET_TEXT)
    return len(measured), [m for m in measured if m["ratio"] < minimum]


def wait_rendered(page) -> None:
    """Until MathJax has typeset the page and every output image has loaded."""
    page.wait_for_function(
        "() => [...document.querySelectorAll('.jp-OutputArea-output img')].every((i) => i.complete)"
    )
    page.wait_for_timeout(1500)  # MathJax typesets after the cells appear


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_saved_notebook_content_has_no_serious_violation(page, lab, axe_script, name):
    open_notebook(page, lab, f"notebooks/{name}")
    wait_rendered(page)
    violations = serious_violations(page, axe_script, CONTENT[1:], without=("image-alt",))
    violations += serious_violations(page, axe_script, CONTENT[:1])
    assert not violations, f"{name}:\n{describe(violations)}"


def set_theme(page, theme: str) -> None:
    """Switch JupyterLab's theme through its Settings menu and wait until it is applied."""
    page.click(".lm-MenuBar-itemLabel:text-is('Settings')")
    page.hover(".lm-Menu-itemLabel:text-is('Theme')")
    page.click(f".lm-Menu-itemLabel:text-is('{theme}')")
    light = "true" if "Light" in theme else "false"
    page.wait_for_function(f"() => document.body.dataset.jpThemeLight === '{light}'", timeout=30_000)
    page.wait_for_timeout(500)


def test_live_widgets_have_no_serious_violation_in_light_and_dark_themes(page, lab, axe_script):
    open_notebook(page, lab, "notebooks/06_misclassified_digits.ipynb")
    run_all(page)
    for selector in WIDGETS:
        page.wait_for_selector(selector)
    for theme in ("JupyterLab Light", "JupyterLab Dark"):
        if theme == "JupyterLab Dark":
            set_theme(page, theme)
        violations = serious_violations(page, axe_script, WIDGETS)
        assert not violations, f"{theme}:\n{describe(violations)}"
        n, low = low_contrast(page)
        assert n > 100, f"{theme}: only {n} texts measured in the widgets"  # 100 cells, bars, captions
        assert not low, f"{theme}: {len(low)} of {n} texts under 4.5:1, e.g. {low[:5]}"
    set_theme(page, "JupyterLab Light")
