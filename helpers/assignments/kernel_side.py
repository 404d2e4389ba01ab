"""What the grader runs inside a student's kernel: call one of the student's functions on data.

The grader writes the arguments to a file (:mod:`helpers.assignments.wire`), runs
``kernel_side.call(...)`` in the kernel and reads back only the result file: the return value,
the arguments as the function left them (so in-place changes are seen), the exception the
student's code raised, and whether the course's reference function of the same name was called
on the way (a profiling tripwire on its code object). Nothing here decides a verdict: the kernel
is untrusted, and the grader treats whatever comes back as data.
"""

from __future__ import annotations

import sys
import warnings
from typing import Any

from helpers.assignments import wire


def _reference_code(name: str):
    """The code object of ``helpers.<name>`` when the course has a function of that name."""
    import helpers

    func = getattr(helpers, name, None)
    return getattr(func, "__code__", None)


def call(namespace: dict, name: str, in_path: str, out_path: str) -> None:
    """Call ``namespace[name](*args, **kwargs)`` with the arguments in ``in_path``; write ``out_path``."""
    import numpy as np

    out: dict[str, Any] = {"reference_calls": 0}
    target = _reference_code(name)
    calls = 0

    def tripwire(frame, event, arg):  # noqa: ARG001
        nonlocal calls
        if event == "call" and frame.f_code is target:
            calls += 1

    try:
        args, kwargs = wire.load(in_path)
        func = namespace.get(name)
        if not callable(func):
            raise NameError(f"name {name!r} is not a function in the notebook")
        old = sys.getprofile()
        if target is not None:
            sys.setprofile(tripwire)
        try:
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                result = func(*args, **kwargs)
        finally:
            sys.setprofile(old)
        out.update(result=result, args=list(args), kwargs=kwargs)
    except BaseException as exc:  # noqa: BLE001 - any failure of the student's code is data
        if isinstance(exc, KeyboardInterrupt):
            raise
        lines = str(exc).strip().splitlines()
        out = {"error": [type(exc).__name__, lines[0][:300] if lines else ""]}
    out["reference_calls"] = calls
    try:
        wire.dump(out_path, out)
    except TypeError as exc:
        wire.dump(
            out_path,
            {
                "error": [
                    "TypeError",
                    f"returned {exc} that cannot be graded (return NumPy arrays or numbers)",
                ]
            },
        )


def describe(namespace: dict, names: list[str], out_path: str) -> None:
    """Write ``{name: "function" | "missing" | "other" | ("value", value)}`` for ``names``."""
    out: dict[str, Any] = {}
    for name in names:
        if name not in namespace:
            out[name] = "missing"
        elif callable(namespace[name]):
            out[name] = "function"
        else:
            out[name] = ["value", namespace[name]]
    try:
        wire.dump(out_path, out)
    except TypeError:
        wire.dump(out_path, {k: (v if isinstance(v, str) else "other") for k, v in out.items()})
