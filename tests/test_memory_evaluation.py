"""A wide network's evaluation runs in blocks of columns: memory stays flat in the images.

``train --recipe wide --hidden 4096`` on full MNIST used to train, then allocate a 4096 x 59,000
hidden layer (922 MiB) at once for the final evaluation and lose the model under a 2 GB cap.
The tests run the command's evaluation under an address-space limit (RLIMIT_AS) in a
subprocess, with training replaced by a ready network so that they take seconds.
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from helpers.metrics import evaluate_in_blocks, predict_proba_in_blocks
from helpers.nn import evaluate, init_params, predict_proba


@pytest.mark.parametrize("block_bytes", [1, 40 * 4 * 7, 40 * 4 * 250, 1 << 30])
def test_blocks_give_the_same_probabilities_loss_and_accuracy(block_bytes):
    rng = np.random.default_rng(0)
    params = init_params(784, 40, 10, seed=1)
    X = rng.random((784, 250), dtype=np.float32)
    y = rng.integers(0, 10, 250)
    np.testing.assert_allclose(
        predict_proba_in_blocks(params, X, block_bytes), predict_proba(params, X), rtol=1e-5
    )
    loss, acc, A2 = evaluate_in_blocks(params, X, y, block_bytes)
    ref_loss, ref_acc = evaluate(params, X, y)
    assert loss == pytest.approx(ref_loss, rel=1e-5) and acc == ref_acc and A2.shape == (10, 250)


# The command, in a subprocess: data and training replaced, the limit set to what the process
# already uses plus HEADROOM. Without blocks the train split's hidden layer alone is
# 4096 x 13,500 x 4 bytes = 211 MiB, and two of them live at once (W1 X + b1, then ReLU).
HEADROOM_MIB = 260
SCRIPT = """
import re, resource, sys
from pathlib import Path
import numpy as np
from helpers import data, recipes, plots
from helpers.cli import main
from helpers.nn import init_params
from helpers.training import History

rng = np.random.default_rng(0)
mnist = data.MNIST(rng.random((784, 14000), dtype=np.float32), rng.integers(0, 10, 14000),
                   rng.random((784, 1000), dtype=np.float32), rng.integers(0, 10, 1000), "sample (test)")
data.load_mnist = lambda *args, **kwargs: mnist
params = init_params(784, 4096, 10, seed=0, dtype=np.float32)
recipes.RECIPES["wide"].train = lambda *args, **kwargs: (params, History(unit="epoch", seconds=1.0))
plots.plot_confusion(mnist.y_test[:50], mnist.y_test[:50])  # matplotlib loaded before the limit
params[0] @ mnist.X_test[:, :10]  # and the BLAS threads started
used = int(re.search(r"VmSize:\\s+(\\d+) kB", Path("/proc/self/status").read_text()).group(1)) * 1024
limit = used + int(sys.argv[2]) * 2**20
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
sys.exit(main(["train", "--recipe", "wide", "--hidden", "4096", "--no-progress", "--out", sys.argv[1]]))
"""


def _run(tmp_path, headroom_mib: int) -> subprocess.CompletedProcess:
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
    return subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "report"), str(headroom_mib)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )


@pytest.mark.slow  # evaluates 4096 hidden units on every training image: 10-20 s of CPU
def test_the_final_evaluation_of_4096_units_fits_a_tight_memory_limit(tmp_path):
    run = _run(tmp_path, HEADROOM_MIB)
    assert run.returncode == 0, run.stderr
    assert "train accuracy" in run.stdout and "test accuracy" in run.stdout
    assert (tmp_path / "report" / "model.npz").is_file()


def test_a_training_that_cannot_fit_the_limit_is_refused_before_it_starts(tmp_path):
    run = _run(tmp_path, 120)
    assert run.returncode == 1
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in run.stderr, run.stderr
    assert lines[0].startswith("error: out of memory: a 784-4096-10 network") and "ulimit -v" in lines[0]
    assert "training:" not in run.stdout and not (tmp_path / "report").exists()
