"""L2 weight decay (notebook 08): the penalty added to the loss and its gradient.

The penalised loss of a network on m examples is

    J = L + (lambd / 2m) (sum W1^2 + sum W2^2)

where L is the cross-entropy. Only the weight matrices are penalised, not the biases: a bias
shifts a unit's input, it does not make the unit depend more strongly on any pixel. The
gradient of the penalty with respect to a weight matrix W is ``lambd / m * W``, so every step
of gradient descent shrinks the weights a little towards 0 ("weight decay").

These are the course's references: :func:`helpers.checks.check_l2_gradient` adds
:func:`l2_penalty` to the loss it differentiates numerically and names students' mistakes
against :func:`l2_gradient`.
"""

from __future__ import annotations

import math

import numpy as np

from helpers.nn import Params


def l2_penalty(params: Params, lambd: float, m: int) -> float:
    """The penalty (lambd / 2m) (sum W1^2 + sum W2^2) of ``params`` = (W1, b1, W2, b2).

    W1 (h, n), b1 (h, 1), W2 (k, h), b2 (k, 1); lambd >= 0; m >= 1 the number of examples.
    """
    _check_strength("l2_penalty", lambd, m)
    W1, _, W2, _ = params
    return (
        lambd
        / (2 * m)
        * (float(np.sum(np.square(W1, dtype=np.float64))) + float(np.sum(np.square(W2, dtype=np.float64))))
    )


def l2_gradient(grads: Params, params: Params, lambd: float, m: int) -> Params:
    """The gradients (dW1, db1, dW2, db2) of the loss plus :func:`l2_penalty`.

    ``grads``: the gradients of the loss alone (from ``backward_prop``); ``params`` =
    (W1, b1, W2, b2). Shapes (h, n), (h, 1), (k, h), (k, 1) for both and for the result.
    Each weight gradient gets ``lambd / m * W`` added; the bias gradients are returned as
    they are. New arrays are returned; the inputs are not changed.
    """
    _check_strength("l2_gradient", lambd, m)
    dW1, db1, dW2, db2 = grads
    W1, _, W2, _ = params
    return dW1 + lambd / m * W1, db1, dW2 + lambd / m * W2, db2


def _check_strength(name: str, lambd: float, m: int) -> None:
    """Refuse m < 1 and a lambd that is negative, NaN or infinite (a NaN passes ``lambd < 0``)."""
    if not (m >= 1 and math.isfinite(lambd) and lambd >= 0):
        raise ValueError(f"{name} needs m >= 1 and lambd >= 0 (finite), got m = {m}, lambd = {lambd}")


__all__ = ["l2_gradient", "l2_penalty"]
