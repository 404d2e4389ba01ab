"""Chapter 7's exercise, the blocked full-batch gradient: wrong solutions."""

from __future__ import annotations

from mutants.model import Mutant

M = Mutant

_LOOP = """m = X.shape[1]
total = [np.zeros_like(p) for p in (W1, b1, W2, b2)]
for s in range({range}):
    Xb, Yb = X[:, s : s + block], {yb}
    Z1, A1, Z2, A2 = forward_prop(W1, b1, W2, b2, Xb)
    grads = backward_prop(Z1, A1, Z2, A2, W1, W2, Xb, Yb)
    for t, g in zip(total, grads):
        t += {term}
return tuple(total)"""


def _loop(term: str, range_: str = "0, m, block", yb: str = "Y[s : s + block]") -> str:
    return _LOOP.format(term=term, range=range_, yb=yb)


#: solution grade_id -> (checker name, mutants).
EXERCISES: dict[str, tuple[str, list[Mutant]]] = {
    "blocked_gradients": (
        "check_blocked_gradients",
        [
            M("blocks weighted equally", _loop("g / -(-m // block)"), ("weight",)),
            M("block means added up", _loop("g"), ("blocks of",)),
            M("divided by the block size", _loop("g * Xb.shape[1] / block"), ("blocks of",)),
            M(
                "last short block dropped",
                _loop("g * Xb.shape[1] / m", range_="0, m - m % block, block"),
                ("blocks of",),
            ),
            M("labels not sliced", _loop("g * Xb.shape[1] / m", yb="Y"), ("blocked_gradients",)),
            M(
                "first block only",
                "Xb, Yb = X[:, :block], Y[:block]\n"
                "Z1, A1, Z2, A2 = forward_prop(W1, b1, W2, b2, Xb)\n"
                "return backward_prop(Z1, A1, Z2, A2, W1, W2, Xb, Yb)",
                ("blocks of",),
            ),
        ],
    ),
}
