"""`make lab`'s Jupyter settings (.jupyter/): checked without a browser.

tests/browser checks their effect in JupyterLab itself; these checks run everywhere.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = ROOT / ".jupyter"


def test_make_lab_uses_the_course_settings():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    lab = re.search(r"^lab: .*\n\t(.*)$", makefile, re.M)
    assert lab and 'JUPYTER_CONFIG_PATH="$(CURDIR)/.jupyter' in lab.group(1), "make lab must layer .jupyter/"


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


def test_no_autosave_and_no_widget_state():
    overrides = json.loads((SETTINGS / "labconfig" / "default_setting_overrides.json").read_text())
    assert overrides["@jupyterlab/docmanager-extension:plugin"]["autosave"] is False
    assert overrides["@jupyter-widgets/jupyterlab-manager:plugin"]["saveState"] is False
