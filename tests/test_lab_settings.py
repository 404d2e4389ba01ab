"""`make lab`'s Jupyter settings (.jupyter/): checked without a browser.

tests/browser checks their effect in JupyterLab itself; these checks run everywhere.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = ROOT / ".jupyter"


def _recipe(target: str) -> list[str]:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    rule = re.search(rf"^{re.escape(target)}: .*\n((?:\t.*\n)+)", makefile, re.M)
    assert rule, f"no rule for make {target}"
    return [line.strip() for line in rule.group(1).splitlines()]


def test_make_lab_builds_and_opens_the_learners_edition_with_the_course_settings():
    build, serve = _recipe("lab")
    assert "-m helpers editions build --learner $(LEARN)" in build, "make lab must build learn/ first"
    assert 'JUPYTER_CONFIG_PATH="$(CURDIR)/.jupyter' in serve, "make lab must layer .jupyter/"
    assert serve.endswith("jupyter lab $(LEARN)/"), "JupyterLab's root folder must be the learner's edition"
    assert re.search(r"^LEARN\s*:=\s*learn$", (ROOT / "Makefile").read_text(), re.M)


def test_make_lab_instructor_keeps_plain_jupyterlab_on_the_source():
    (serve,) = _recipe("lab-instructor")
    assert serve == "$(BIN)/jupyter lab notebooks/"


def test_nbgrader_menus_and_server_extensions_are_off():
    page = json.loads((SETTINGS / "labconfig" / "page_config.json").read_text(encoding="utf-8"))
    assert page["disabledExtensions"].get("@jupyter/nbgrader") is True
    from jupyter_core.paths import jupyter_config_path

    found = [Path(d) / "jupyter_server_config.d" / "nbgrader.json" for d in jupyter_config_path()]
    files = [f for f in found if f.is_file()]
    assert files, "nbgrader (a test dependency) registers its server extensions in jupyter_server_config.d"
    installed = json.loads(files[0].read_text())["ServerApp"]["jpserver_extensions"]
    ours = json.loads((SETTINGS / "jupyter_server_config.json").read_text())["ServerApp"][
        "jpserver_extensions"
    ]
    assert set(installed) <= set(ours), (
        f"nbgrader server extensions left on: {sorted(set(installed) - set(ours))}"
    )
    assert not any(ours.values())


def test_autosave_on_and_no_widget_state():
    """The learner's edition is the learner's copy: what they type is saved within 30 seconds."""
    overrides = json.loads((SETTINGS / "labconfig" / "default_setting_overrides.json").read_text())
    docmanager = overrides["@jupyterlab/docmanager-extension:plugin"]
    assert docmanager["autosave"] is True and 0 < docmanager["autosaveInterval"] <= 60
    assert overrides["@jupyter-widgets/jupyterlab-manager:plugin"]["saveState"] is False
