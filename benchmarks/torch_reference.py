"""The same mini-batch training as :func:`helpers.fast.train`, written with PyTorch tensors.

Used only by the benchmark, to compare seconds per epoch against PyTorch doing *identical*
training: same initial weights (copied from NumPy), same example order in every epoch, same
learning-rate schedule and momentum, float32, the same number of threads. The forward and
backward passes are the course's formulas, written out by hand in PyTorch's own idiom
(examples as rows, ``addmm`` for ``W X + b``, in-place parameter updates), so PyTorch is not
slowed down by autograd bookkeeping it would not need here, and doing the same operations as
``train()`` (the learning rate folded into dZ2, the velocity holding lr V): the strictest
comparison.

``autograd=True`` trains the same network the way a student reaching for PyTorch would write
it: parameters with ``requires_grad``, ``F.cross_entropy``, ``loss.backward()`` and
``torch.optim.SGD`` (its momentum buffer is V := momentum V + dP, the step lr V: the same
training in real arithmetic).
"""

from __future__ import annotations

import numpy as np
import torch
from torch.nn import functional


class TorchTrainer:
    """Mini-batch SGD for the 2-layer network with PyTorch, one epoch per :meth:`epoch` call.

    ``XT`` is the training data as a C-contiguous (m, n) float32 array (one example per row,
    i.e. X.T for the course's X of shape (n, m)); ``params`` are NumPy ``(W1, b1, W2, b2)``.
    """

    def __init__(
        self,
        XT: np.ndarray,
        labels: np.ndarray,
        params,
        *,
        batch_size: int,
        alpha: float,
        momentum: float = 0.0,
        schedule: str = "constant",
        epochs: int,
        autograd: bool = False,
    ) -> None:
        self.XT = torch.from_numpy(np.ascontiguousarray(XT, dtype=np.float32))
        self.labels = torch.from_numpy(np.asarray(labels, dtype=np.int64))
        W1, b1, W2, b2 = (np.asarray(p, dtype=np.float32) for p in params)
        # Examples are rows here, so the layers hold W^T: Z1^T = X^T W1^T + b1^T.
        self.W1T = torch.from_numpy(np.ascontiguousarray(W1.T))
        self.b1 = torch.from_numpy(b1.ravel().copy())
        self.W2T = torch.from_numpy(np.ascontiguousarray(W2.T))
        self.b2 = torch.from_numpy(b2.ravel().copy())
        self.params = [self.W1T, self.b1, self.W2T, self.b2]
        self.velocity = [torch.zeros_like(p) for p in self.params] if momentum else None
        self.m = self.XT.shape[0]
        self.batch_size = min(int(batch_size), self.m)
        self.alpha, self.momentum, self.schedule = alpha, momentum, schedule
        self.total_steps = epochs * -(-self.m // self.batch_size)
        self.step = 0
        self.lr_before = alpha
        self.autograd = autograd
        if autograd:
            for p in self.params:
                p.requires_grad_(True)
            self.optimizer = torch.optim.SGD(self.params, lr=alpha, momentum=momentum)

    def epoch(self, order: np.ndarray) -> tuple[float, float]:
        """One epoch over the examples in ``order``; returns (mean loss, accuracy) on the batches."""
        return self._epoch_autograd(order) if self.autograd else self._epoch_by_hand(order)

    def _lr(self) -> float:
        return self.alpha * (1 - self.step / self.total_steps) if self.schedule == "linear" else self.alpha

    def _epoch_autograd(self, order: np.ndarray) -> tuple[float, float]:
        order_t = torch.from_numpy(np.asarray(order, dtype=np.int64))
        labels_in_order = self.labels[order_t]
        losses = torch.empty(self.m)
        predicted = torch.empty(self.m, dtype=torch.int64)
        W1T, b1, W2T, b2 = self.params
        for s in range(0, self.m, self.batch_size):
            idx = order_t[s : s + self.batch_size]
            b = idx.shape[0]
            Xb = self.XT.index_select(0, idx)  # (B, n)
            yb = labels_in_order[s : s + b]
            Z2 = torch.addmm(b2, torch.relu(torch.addmm(b1, Xb, W1T)), W2T)  # (B, k)
            loss = functional.cross_entropy(Z2, yb, reduction="none")
            with torch.no_grad():
                losses[s : s + b] = loss
                predicted[s : s + b] = Z2.argmax(dim=1)
            self.optimizer.zero_grad(set_to_none=False)
            loss.mean().backward()
            self.optimizer.param_groups[0]["lr"] = self._lr()
            self.optimizer.step()
            self.step += 1
        return float(losses.double().mean()), float((predicted == labels_in_order).double().mean())

    @torch.no_grad()
    def _epoch_by_hand(self, order: np.ndarray) -> tuple[float, float]:
        order_t = torch.from_numpy(np.asarray(order, dtype=np.int64))
        labels_in_order = self.labels[order_t]
        p_true = torch.empty(self.m)
        predicted = torch.empty(self.m, dtype=torch.int64)
        columns = torch.arange(self.batch_size)
        for s in range(0, self.m, self.batch_size):
            idx = order_t[s : s + self.batch_size]
            b = idx.shape[0]
            Xb = self.XT.index_select(0, idx)  # (B, n)
            yb = labels_in_order[s : s + b]
            Z1 = torch.addmm(self.b1, Xb, self.W1T)  # (B, h)
            A1 = torch.relu(Z1)
            Z2 = torch.addmm(self.b2, A1, self.W2T)  # (B, k)
            A2 = torch.softmax(Z2, dim=1)
            p_true[s : s + b] = A2[columns[:b], yb]
            predicted[s : s + b] = A2.argmax(dim=1)
            lr = self._lr()
            # dZ2 is divided by b and multiplied by lr once, so the four gradients come out as
            # steps (lr dP); the velocity holds U = lr V, updated as
            # U := (lr / lr_before) momentum U + lr dP (equal to lr (momentum V + dP)), then P -= U.
            # helpers.fast.train keeps V itself and steps P -= lr V: the same numbers in real
            # arithmetic, so both runs follow one trajectory up to float32 rounding.
            dZ2 = A2.clone()
            dZ2[columns[:b], yb] -= 1
            dZ2.div_(b).mul_(lr)
            dZ1 = dZ2.mm(self.W2T.T).mul_(Z1 > 0)  # (B, h)
            steps = [
                Xb.T.mm(dZ1),  # lr dW1^T (n, h)
                dZ1.sum(0),  # lr db1 (h,)
                A1.T.mm(dZ2),  # lr dW2^T (h, k)
                dZ2.sum(0),  # lr db2 (k,)
            ]
            if self.velocity is not None:
                scale = self.momentum * (lr / self.lr_before) if self.lr_before else self.momentum
                for p, v, g in zip(self.params, self.velocity, steps):
                    p.sub_(v.mul_(scale).add_(g))
            else:
                for p, g in zip(self.params, steps):
                    p.sub_(g)
            self.lr_before = lr
            self.step += 1
        loss = float(-torch.log(p_true.clamp_min(torch.finfo(torch.float32).tiny)).double().mean())
        accuracy = float((predicted == labels_in_order).double().mean())
        return loss, accuracy

    def numpy_params(self):
        """The current parameters as NumPy ``(W1, b1, W2, b2)`` in the course's shapes."""
        W1T, b1, W2T, b2 = (p.detach().numpy() for p in self.params)
        return W1T.T.copy(), b1[:, None].copy(), W2T.T.copy(), b2[:, None].copy()

    @torch.no_grad()
    def accuracy(self, X: np.ndarray, y: np.ndarray) -> float:
        """Accuracy on images X (n, m) with labels y (m,)."""
        XT = torch.from_numpy(np.ascontiguousarray(X.T, dtype=np.float32))
        Z2 = torch.addmm(self.b2, torch.relu(torch.addmm(self.b1, XT, self.W1T)), self.W2T)
        return float((Z2.argmax(dim=1) == torch.from_numpy(np.asarray(y))).double().mean())
