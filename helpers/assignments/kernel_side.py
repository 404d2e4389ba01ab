"""What the grader runs inside a student's kernel: call one of the student's functions on data.

The grader writes the arguments to a file (:mod:`helpers.assignments.wire`), runs
``kernel_side.call(...)`` in the kernel and reads back only the result file: the return value,
the arguments as the function left them (so in-place changes are seen), the exception the
student's code raised, on request the peak of the memory the call allocated (``peak_bytes``, for
checkers that judge memory as :mod:`helpers.checks.speed` does), and how often the course's
function of the same name was called on the way (refused by its stand-in, see
:mod:`helpers.assignments.kernel_package`; with ``--allow-reference`` there is no stand-in and a
profiling tripwire counts the calls). Nothing here decides a verdict: the kernel is untrusted,
and the grader treats whatever comes back as data.
"""

from __future__ import annotations

import contextlib
import numbers
import sys
import tracemalloc
import warnings
from collections.abc import Iterator
from typing import Any

from helpers.assignments import wire


class ReferenceUnavailable(RuntimeError):
    """The course's function of an exercise's name was called while that exercise is graded."""


#: The student's own function of each exercise name, as the solution cell left it.
_OWN: dict[str, Any] = {}
#: The exercise names whose student function is running (a stand-in called then is a reference use).
_ACTIVE: set[str] = set()
#: Stand-in calls refused because the student's function of that name was running.
_REFUSED: dict[str, int] = {}


def _stand_in(func: Any) -> bool:
    return bool(getattr(func, "__grading_stub__", False))


def remember(namespace: dict, names: list[str]) -> None:
    """Remember the notebook's functions ``names`` (run after each solution cell)."""
    for name in names:
        func = namespace.get(name)
        if callable(func) and not _stand_in(func):
            _OWN[name] = func


def _own(name: str) -> Any:
    from IPython import get_ipython

    shell = get_ipython()
    func = shell.user_ns.get(name) if shell is not None else None
    return func if callable(func) and not _stand_in(func) else _OWN.get(name)


def notebook_function(name: str, args: tuple, kwargs: dict) -> Any:
    """What the course's ``name`` does in a graded kernel: call the notebook's own ``name``.

    Called from inside the notebook's own ``name`` (``return helpers.softmax(Z)``, an alias, a
    thread), or when the notebook has none, it raises instead: the course's answer is not here.
    """
    if name in _ACTIVE:
        _REFUSED[name] = _REFUSED.get(name, 0) + 1
        raise ReferenceUnavailable(
            f"{name} calls the course's reference {name}, not available while this notebook is graded"
        )
    func = _own(name)
    if func is None:
        raise NotImplementedError(f"the course's {name} is not available while this notebook is graded")
    _ACTIVE.add(name)
    try:
        return func(*args, **kwargs)
    finally:
        _ACTIVE.discard(name)


def _reference_code(name: str):
    """The code object of ``helpers.<name>`` when the course has a function of that name."""
    import helpers

    func = getattr(helpers, name, None)
    return getattr(func, "__code__", None)


#: The deepest nesting of lists, tuples and dicts :func:`plain` converts.
MAX_DEPTH = 32


def plain(value: Any, depth: int = 0) -> Any:
    """``value`` as data :mod:`~helpers.assignments.wire` can send: a ``Fraction`` or ``Decimal``
    as a float, a pandas table as its NumPy array, an array of Python numbers as floats, inside
    lists, tuples and dicts too; anything else as it is (for wire to refuse by name).

    TypeError for a table or an array of more than :data:`~helpers.assignments.wire.MAX_ELEMENTS`
    values (checked before converting) or nesting deeper than :data:`MAX_DEPTH`.
    """
    import numpy as np

    if depth > MAX_DEPTH:
        raise TypeError(f"values nested more than {MAX_DEPTH} deep")
    if isinstance(value, list | tuple):
        items = [plain(v, depth + 1) for v in value]
        return tuple(items) if isinstance(value, tuple) else items
    if isinstance(value, dict):
        return {k: plain(v, depth + 1) for k, v in value.items()}
    if isinstance(value, numbers.Number) and not isinstance(value, int | float | complex | np.generic):
        try:
            return float(value)  # a Fraction, a Decimal
        except (TypeError, ValueError, OverflowError):
            return value
    table = type(value).__module__.split(".")[0] == "pandas" and hasattr(value, "to_numpy")
    if table or (isinstance(value, np.ndarray) and value.dtype.hasobject):
        size = int(getattr(value, "size", 0) or 0)
        if size > wire.MAX_ELEMENTS:
            raise TypeError(f"a {type(value).__name__} of {size} values (at most {wire.MAX_ELEMENTS})")
        arr = np.asarray(value.to_numpy() if table else value)
        if not arr.dtype.hasobject:
            return arr
        try:
            return np.array([float(v) for v in arr.flat], dtype=np.float64).reshape(arr.shape)
        except (TypeError, ValueError, OverflowError):
            what = "an array" if isinstance(value, np.ndarray) else f"a {type(value).__name__}"
            raise TypeError(f"{what} of Python objects that are not numbers") from None
    return value


def call(namespace: dict, name: str, in_path: str, out_path: str, measure: bool = False) -> None:
    """Call ``namespace[name](*args, **kwargs)`` with the arguments in ``in_path``; write ``out_path``.

    With ``measure``, the peak of the memory the call allocates is measured (``peak_bytes``, by
    :mod:`tracemalloc`, which makes code allocating many Python objects about 10 times slower).
    """
    out: dict[str, Any] = {"reference_calls": 0}
    target = _reference_code(name)  # the tripwire only matters with --allow-reference (no stand-ins)
    try:
        args, kwargs = wire.load(in_path)
        func = namespace.get(name)
        func = _own(name) if _stand_in(func) else func
        if not callable(func):
            raise NameError(f"name {name!r} is not a function in the notebook")
        with _watched(name, target, measure, out):
            result = func(*args, **kwargs)
        out.update(result=result, args=list(args), kwargs=kwargs)
    except BaseException as exc:  # noqa: BLE001 - any failure of the student's code is data
        if isinstance(exc, KeyboardInterrupt):
            raise
        lines = str(exc).strip().splitlines()
        out = {
            "error": [type(exc).__name__, lines[0][:300] if lines else ""],
            "reference_calls": out["reference_calls"],
        }
    try:
        if "result" in out:
            out["result"] = plain(out["result"])
        wire.dump(out_path, out)
    except TypeError as exc:
        why = f"returned {exc}, which cannot be graded (return NumPy arrays or numbers)"
        wire.dump(out_path, {"error": ["TypeError", why]})


@contextlib.contextmanager
def _watched(name: str, target: Any, measure: bool, out: dict[str, Any]) -> Iterator[None]:
    """Run the student's ``name`` inside: NumPy's and Python's warnings silenced, the calls of the
    course's function (code object ``target``) and the stand-in's refusals counted into
    ``out["reference_calls"]``, and with ``measure`` the peak of allocated memory into
    ``out["peak_bytes"]``."""
    import numpy as np

    calls = 0

    def tripwire(frame, event, arg):  # noqa: ARG001
        nonlocal calls
        if event == "call" and frame.f_code is target:
            calls += 1

    old, refused = sys.getprofile(), _REFUSED.get(name, 0)
    if target is not None:
        sys.setprofile(tripwire)
    _ACTIVE.add(name)
    tracing = tracemalloc.is_tracing()
    if measure and not tracing:
        tracemalloc.start()
    tracemalloc.reset_peak()
    start = tracemalloc.get_traced_memory()[0]
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        if measure:
            out["peak_bytes"] = max(0, tracemalloc.get_traced_memory()[1] - start)
            if not tracing:
                tracemalloc.stop()
        sys.setprofile(old)
        _ACTIVE.discard(name)
        out["reference_calls"] = calls + _REFUSED.get(name, 0) - refused


def describe(namespace: dict, names: list[str], out_path: str) -> None:
    """Write ``{name: "function" | "missing" | "other" | ("value", value)}`` for ``names``."""
    out: dict[str, Any] = {}
    for name in names:
        if name not in namespace:
            out[name] = "missing"
        elif callable(namespace[name]):
            out[name] = "function"
        else:
            try:
                out[name] = ["value", plain(namespace[name])]
            except TypeError:
                out[name] = "other"
    try:
        wire.dump(out_path, out)
    except TypeError:
        wire.dump(out_path, {k: (v if isinstance(v, str) else "other") for k, v in out.items()})
