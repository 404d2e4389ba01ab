"""Re-execute the course notebooks in place, so the committed outputs are what a reader sees.

    python -m helpers.run_notebooks                 # every notebooks/*.ipynb, in order
    python -m helpers.run_notebooks notebooks/02_relu_and_softmax.ipynb

Each notebook runs top to bottom in a fresh ``python3`` kernel with ``notebooks/`` as the
working directory (the notebooks load data with ``load_mnist("../data")``: full MNIST when it is
in ``data/``, otherwise the offline sample). The executed notebook, figures included, replaces
the file only when every cell succeeded; it is written to a temporary file and renamed.

The saved notebook is what JupyterLab itself would save, so opening it changes nothing: the
kernelspec's display name is the installed kernel's (a mismatch makes JupyterLab rewrite it on
open), and no widget state is stored. A widget's output keeps its static picture and text and
drops the widget view, which would only say "model not found" without a running kernel.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import nbformat
from jupyter_client.kernelspec import KernelSpecManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from helpers.atomic import atomic_write
from helpers.errors import strip_ansi

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def notebook_paths(names: list[str] | None = None) -> list[Path]:
    """The notebooks to run: ``names`` (paths, or names inside notebooks/), else all of them."""
    if not names:
        return sorted(NOTEBOOKS.glob("*.ipynb"))
    paths = []
    for name in names:
        path = Path(name)
        if not path.is_file() and (NOTEBOOKS / name).is_file():
            path = NOTEBOOKS / name
        if not path.is_file() or path.suffix != ".ipynb":
            raise FileNotFoundError(f"{name}: no such notebook (expected an .ipynb file)")
        paths.append(path.resolve())
    return paths


def write_atomically(nb: nbformat.NotebookNode, path: Path) -> None:
    """Write ``nb`` to ``path`` through a temporary file in the same folder, then rename."""
    with atomic_write(path, "w", encoding="utf-8") as f:
        nbformat.write(nb, f)


def drop_widget_views(nb: nbformat.NotebookNode) -> None:
    """Remove widget views from the outputs: without a kernel they only say "model not found".

    An output that also has a picture (the course's widgets) keeps the picture and its text;
    one that is only a widget (a progress bar) is removed.
    """
    for cell in nb.cells:
        if "outputs" not in cell:
            continue
        kept = []
        for out in cell.outputs:
            data = out.get("data", {})
            if WIDGET_VIEW in data:
                if "image/png" not in data:
                    continue
                del data[WIDGET_VIEW]
            kept.append(out)
        cell.outputs = kept


def run_notebook(path: Path, timeout: int = 600, kernel: str = "python3") -> float:
    """Execute ``path`` in place (cwd = notebooks/); return the seconds it took.

    Raises :class:`nbclient.exceptions.CellExecutionError` when a cell fails; the file on disk
    is then left as it was.
    """
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name=kernel,
        resources={"metadata": {"path": str(path.parent)}},
        record_timing=False,  # no per-cell timestamps: re-running changes only what changed
        store_widget_state=False,  # widget state lives in the kernel, not in the file
    )
    for cell in nb.cells:
        cell.metadata.pop("execution", None)  # timestamps saved by earlier runs
    client.execute()
    seconds = time.perf_counter() - start
    nb.metadata.pop("widgets", None)
    spec = KernelSpecManager().get_kernel_spec(kernel)
    nb.metadata["kernelspec"] = {"display_name": spec.display_name, "language": spec.language, "name": kernel}
    drop_widget_views(nb)
    nbformat.validate(nb)
    write_atomically(nb, path)
    return seconds


def describe_failure(exc: CellExecutionError) -> str:
    """One line: the error a cell raised and the first line of that cell's code."""
    parts = strip_ansi(str(exc)).split("------------------\n")
    code = parts[1].strip().splitlines()[0] if len(parts) > 2 and parts[1].strip() else "?"
    message = f"{exc.ename}: {exc.evalue}" if exc.evalue else exc.ename
    return f"{message}  (in the cell starting: {code[:70]})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m helpers.run_notebooks",
        description="Re-execute the course notebooks in place (outputs and figures included).",
    )
    parser.add_argument("notebooks", nargs="*", help="notebooks to run (default: notebooks/*.ipynb)")
    parser.add_argument("--timeout", type=int, default=600, help="seconds allowed per cell (default 600)")
    parser.add_argument("--kernel", default="python3", help="Jupyter kernel name (default python3)")
    args = parser.parse_args(argv)
    try:
        paths = notebook_paths(args.notebooks)
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not paths:
        print(f"error: no notebooks in {NOTEBOOKS}", file=sys.stderr)
        return 2
    failed = []
    for i, path in enumerate(paths, 1):
        label = f"[{i}/{len(paths)}] {path.name}"
        try:
            seconds = run_notebook(path, timeout=args.timeout, kernel=args.kernel)
        except CellExecutionError as exc:
            print(f"{label}: FAILED", flush=True)
            print(f"    {describe_failure(exc)}", file=sys.stderr)
            failed.append(path.name)
            continue
        except Exception as exc:  # a timeout or a dead kernel: report, go on
            print(f"{label}: FAILED", flush=True)
            print(f"    {type(exc).__name__}: {exc}", file=sys.stderr)
            failed.append(path.name)
            continue
        print(f"{label}: ok ({seconds:.1f} s)", flush=True)
    if failed:
        names = ", ".join(failed)
        print(f"{len(failed)} notebook(s) failed and were left unchanged: {names}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
