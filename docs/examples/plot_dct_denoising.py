"""Denoise a signal in a union of two bases, through an implicit operator.
=======================================================================

The signal is smooth (a few DCT atoms) plus a few spikes, seen in noise. The dictionary
``[DCT | identity]`` is never formed: ``forward`` and ``adjoint`` apply scipy's orthonormal
DCT, so each product costs O(n log n). The Lasso separates the two parts and removes
the noise. Written for NumPy/SciPy; with torch or JAX, the same class written with
their FFTs gives the same solver on those arrays.

Run it with ``python docs/examples/plot_dct_denoising.py [figure.png]``; the test suite runs
``denoise`` and checks the operator against its matrix.
"""

from __future__ import annotations

import sys

import numpy as np
from scipy import fft

from arrayshrink import LassoResult, fista

N, NOISE = 512, 0.1


class DctAndSpikes:
    """The dictionary [DCT^-1 | I] of shape (n, 2n): smooth atoms and spikes."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.shape = (n, 2 * n)

    def forward(self, x: np.ndarray) -> np.ndarray:
        """A @ x: the inverse DCT of the first half plus the spikes of the second."""
        return fft.idct(x[: self.n], norm="ortho", axis=0) + x[self.n :]

    def adjoint(self, r: np.ndarray) -> np.ndarray:
        """A^T @ r: the DCT of r, then r itself."""
        return np.concatenate([fft.dct(r, norm="ortho", axis=0), r])


def make_signal(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(smooth part, spikes, noisy observation)."""
    rng = np.random.default_rng(seed)
    t = np.linspace(0.0, 1.0, N)
    smooth = np.sin(2 * np.pi * 3 * t) + 0.5 * np.cos(2 * np.pi * 7 * t)
    spikes = np.zeros(N)
    spikes[rng.choice(N, 6, replace=False)] = rng.choice([-2.0, 2.0], 6)
    return smooth, spikes, smooth + spikes + NOISE * rng.standard_normal(N)


def denoise(seed: int = 0, lambd: float = 3 * NOISE) -> tuple[np.ndarray, np.ndarray, LassoResult]:
    """(smooth estimate, spike estimate, result) for the noisy signal."""
    _, _, observed = make_signal(seed)
    operator = DctAndSpikes(N)
    # The union of two orthonormal bases has ||A||^2 = 2: a fixed step is free here.
    result = fista(operator, observed, lambd, lipschitz=2.0, tol=1e-8, max_iter=5000)
    return operator.forward(np.concatenate([result.x[:N], np.zeros(N)])), result.x[N:], result


def plot(path: str | None = None) -> None:
    import matplotlib.pyplot as plt

    smooth, spikes, observed = make_signal()
    smooth_hat, spikes_hat, _ = denoise()
    fig, axes = plt.subplots(2, 1, figsize=(10, 5), sharex=True)
    axes[0].plot(observed, color="0.7", label="observed")
    axes[0].plot(smooth + spikes, "C0", label="clean")
    axes[0].plot(smooth_hat + spikes_hat, "C1--", label="denoised")
    axes[0].legend(loc="upper right")
    axes[1].plot(smooth_hat, "C2", label="smooth part (DCT atoms)")
    axes[1].plot(spikes_hat, "C3", label="spikes (identity atoms)")
    axes[1].legend(loc="upper right")
    axes[1].set_xlabel("sample")
    fig.tight_layout()
    if path:
        fig.savefig(path, dpi=110)
    else:
        plt.show()


if __name__ == "__main__":
    smooth, spikes, observed = make_signal()
    smooth_hat, spikes_hat, result = denoise()
    clean = smooth + spikes
    print(f"{result.n_iter} iterations, relative gap {float(result.gap):.1e}")
    print(f"noise rms {np.sqrt(np.mean((observed - clean) ** 2)):.3f}")
    print(f"error rms {np.sqrt(np.mean((smooth_hat + spikes_hat - clean) ** 2)):.3f}")
    plot(sys.argv[1] if len(sys.argv) > 1 else None)
