"""The package copy the kernels of one grading process share: compiled once, and out of every
kernel's reach (a kernel that could change it would grade the next student's notebook)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from helpers.assignments.isolation import bwrap_path
from helpers.assignments.sandbox import Limits, SandboxKernel

ATTACKS = {
    "append to its __init__": "open(os.path.join(top, '__init__.py'), 'a').write('PWNED = 1\\n')",
    "a new module": "open(os.path.join(top, 'pwned.py'), 'w').write('PWNED = 1\\n')",
    "make it writable": "os.chmod(top, 0o777)",
    "replace a module": "os.rename(os.path.join(top, 'nn.py'), os.path.join(top, 'old.py'))",
    "a new bytecode file": "open(os.path.join(top, '__pycache__', 'nn.cpython-311.pyc'), 'wb').write(b'0')",
}
WHERE = "import os, helpers\ntop = os.path.dirname(helpers.__file__)\n"


@pytest.fixture(params=["bubblewrap", "no bubblewrap"])
def isolation(request, monkeypatch):
    if request.param == "bubblewrap" and not bwrap_path():
        pytest.fail("bubblewrap is not installed: the course's setup installs it (apt install bubblewrap)")
    if request.param == "no bubblewrap":
        from helpers.assignments import sandbox

        monkeypatch.setenv("HELPERS_NO_BWRAP", "1")
        # A kernel user of its own may not read this Python installation: the grader's user.
        monkeypatch.setattr(sandbox, "kernel_uid", lambda bwrap: -1)
    return request.param


def _package_of(kernel: SandboxKernel) -> str:
    assert kernel.run(WHERE + "open('where.txt', 'w').write(top)").status == "ok"
    return (kernel.workdir / "where.txt").read_text()


def test_one_kernel_cannot_change_the_copy_the_next_one_imports(isolation):
    """Shared with bubblewrap (bound read-only); without it, a kernel running as the grader's
    user gets a copy of its own, which it may change (it can reach the grader's files anyway)."""
    stubs = ["softmax"]
    with SandboxKernel(Limits(cell=30), stubs=stubs) as first:
        where = _package_of(first)
        for what, code in ATTACKS.items():
            run = first.run(WHERE + code)
            if isolation == "bubblewrap":
                assert run.status == "error", f"{what} worked"
    with SandboxKernel(Limits(cell=30), stubs=stubs) as second:
        assert (_package_of(second) == where) == (isolation == "bubblewrap")
        run = second.run(
            WHERE + "assert not hasattr(helpers, 'PWNED')\nimport helpers.nn\nimport helpers.old\n"
        )
        assert run.ename == "ModuleNotFoundError" and "helpers.old" in run.evalue, run
        run = second.run("from helpers import softmax\nassert softmax.__grading_stub__\n")
        assert run.status == "ok", run  # the stand-in, not the course's answer


def test_the_shared_copy_is_compiled_and_gone_when_the_grader_ends(tmp_path):
    """Run in a process of its own: the copy is made, holds bytecode, and is removed at exit."""
    code = (
        "from helpers.assignments.kernel_package import shared_package_copy\n"
        "from pathlib import Path\nimport sys\n"
        "p = shared_package_copy(Path(sys.argv[1]), ['relu'])\n"
        "assert shared_package_copy(Path(sys.argv[1]), ['relu']) == p  # made once\n"
        "assert shared_package_copy(Path(sys.argv[1]), ['softmax']) != p  # one per set of stand-ins\n"
        "assert any((p / 'helpers' / '__pycache__').glob('nn.*.pyc'))\n"
        "assert 'def relu' in (p / 'helpers' / 'nn.py').read_text()\n"
        "assert '__grading_stub__' in (p / 'helpers' / 'nn.py').read_text()\n"
        "print(p)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr
    assert Path(run.stdout.strip()).parent == tmp_path
    assert not Path(run.stdout.strip()).exists()
    assert list(tmp_path.iterdir()) == []
