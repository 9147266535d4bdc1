"""Textbook CMA-ES, written plainly from the pseudo-code of Hansen's tutorial (arXiv:1604.00772,
Appendix A and Table 1), to check neuroevo's CMAES and SepCMAES against.

It minimises ``f``, recomputes the eigendecomposition every generation, and takes its standard
normal samples from the caller so that both implementations can be fed the same ``z``. Loops are
explicit on purpose: this file is read, not run fast.
"""

from __future__ import annotations

import math

import numpy as np


class TextbookCMAES:
    """(mu/mu_w, lambda)-CMA-ES with optional active (negative) weights.

    Args:
        x0: float64 ``(n,)`` initial mean.
        sigma0: initial step size.
        lam: population size lambda.
        active: negative weights for the worst half (Eq. 53); otherwise they are zero.
        separable: keep only the diagonal of C and multiply c1, cmu by (n + 2) / 3 (Ros & Hansen 2008).
    """

    def __init__(self, x0, sigma0: float, lam: int, *, active: bool = True, separable: bool = False):
        n = len(x0)
        self.n, self.lam, self.separable = n, lam, separable
        self.m = np.array(x0, dtype=float)
        self.sigma = float(sigma0)
        mu = lam // 2
        self.mu = mu
        w_raw = [math.log((lam + 1) / 2) - math.log(i) for i in range(1, lam + 1)]
        pos_sum = sum(w_raw[:mu])
        w_pos = [w / pos_sum for w in w_raw[:mu]]
        self.mueff = 1 / sum(w * w for w in w_pos)
        self.cs = (self.mueff + 2) / (n + self.mueff + 5)
        self.ds = 1 + 2 * max(0, math.sqrt((self.mueff - 1) / (n + 1)) - 1) + self.cs
        self.cc = (4 + self.mueff / n) / (n + 4 + 2 * self.mueff / n)
        self.c1 = 2 / ((n + 1.3) ** 2 + self.mueff)
        self.cmu = min(1 - self.c1, 2 * (0.25 + self.mueff + 1 / self.mueff - 2) / ((n + 2) ** 2 + self.mueff))
        if separable:
            self.c1 = min(1, self.c1 * (n + 2) / 3)
            self.cmu = min(1 - self.c1, self.cmu * (n + 2) / 3)
        w_neg_raw = [min(0.0, w) for w in w_raw[mu:]]
        if active and sum(w_neg_raw) < 0:
            mueff_minus = sum(w_neg_raw) ** 2 / sum(w * w for w in w_neg_raw)
            alpha = min(1 + self.c1 / self.cmu,
                        1 + 2 * mueff_minus / (self.mueff + 2),
                        (1 - self.c1 - self.cmu) / (n * self.cmu))
            neg_sum = -sum(w_neg_raw)
            w_neg = [alpha * w / neg_sum for w in w_neg_raw]
        else:
            w_neg = [0.0] * (lam - mu)
        self.weights = np.array(w_pos + w_neg)
        self.chiN = math.sqrt(n) * (1 - 1 / (4 * n) + 1 / (21 * n * n))
        self.pc = np.zeros(n)
        self.ps = np.zeros(n)
        self.C = np.eye(n)
        self.g = 0
        self._decompose()

    def _decompose(self):
        if self.separable:
            self.D = np.sqrt(np.diag(self.C))
            self.B = np.eye(self.n)
        else:
            C = (self.C + self.C.T) / 2
            eigvals, self.B = np.linalg.eigh(C)
            self.D = np.sqrt(eigvals)
        self.invsqrtC = self.B @ np.diag(1 / self.D) @ self.B.T

    def sample(self, z):
        """``z`` float64 ``(lam, n)`` standard normal -> candidates ``(lam, n)`` (Eq. 38-40)."""
        X = np.empty_like(z)
        for k in range(self.lam):
            y = self.B @ (self.D * z[k])
            X[k] = self.m + self.sigma * y
        return X

    def update(self, X, f):
        """One generation from candidates ``X (lam, n)`` and their values ``f (lam,)`` to minimise."""
        n, mu = self.n, self.mu
        idx = np.argsort(f, kind="stable")
        ys = [(X[i] - self.m) / self.sigma for i in idx]
        y_w = sum(self.weights[i] * ys[i] for i in range(mu))
        m_old = self.m
        self.m = m_old + self.sigma * y_w
        self.ps = (1 - self.cs) * self.ps + math.sqrt(self.cs * (2 - self.cs) * self.mueff) * (self.invsqrtC @ y_w)
        ps_norm = np.linalg.norm(self.ps)
        hsig = ps_norm / math.sqrt(1 - (1 - self.cs) ** (2 * (self.g + 1))) < (1.4 + 2 / (n + 1)) * self.chiN
        self.pc = (1 - self.cc) * self.pc + hsig * math.sqrt(self.cc * (2 - self.cc) * self.mueff) * y_w
        w_circ = []
        for i in range(self.lam):
            if self.weights[i] >= 0:
                w_circ.append(self.weights[i])
            else:
                w_circ.append(self.weights[i] * n / np.linalg.norm(self.invsqrtC @ ys[i]) ** 2)
        delta_h = (1 - hsig) * self.cc * (2 - self.cc)
        rank_mu = sum(w_circ[i] * np.outer(ys[i], ys[i]) for i in range(self.lam))
        self.C = ((1 + self.c1 * delta_h - self.c1 - self.cmu * sum(self.weights)) * self.C
                  + self.c1 * np.outer(self.pc, self.pc) + self.cmu * rank_mu)
        if self.separable:
            self.C = np.diag(np.diag(self.C))
        self.sigma = self.sigma * math.exp(self.cs / self.ds * (ps_norm / self.chiN - 1))
        self.g += 1
        self._decompose()
