"""LISTA: an unrolled ISTA network whose per-feature thresholds are learned.
=========================================================================

Each layer computes ``x = softshrink(b @ W + x @ S, theta_k)``, with ``theta_k`` one
threshold per feature. torch.nn.Softshrink cannot learn its threshold (it must be a
Python number); in PyTorch each layer's shrinkage is an
``arrayshrink.torch.Softshrink(learnable=True, num_parameters=N_ATOMS)`` module, whose
thresholds are kept positive by a softplus; in JAX, arrayshrink's softshrink takes the
softplus of raw parameters as an array that carries gradients. The same network is
trained in both.

Run it with ``python docs/examples/lista.py``; the test suite runs it too.
"""

from __future__ import annotations

import math

import numpy as np

from arrayshrink import softshrink

N_ATOMS, N_MEASUREMENTS, N_LAYERS, BATCH = 32, 16, 4, 256
# softplus(-3): the thresholds start small, as ISTA's lambda / L would.
INITIAL_THRESHOLD = math.log1p(math.exp(-3.0))


def make_problem(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A dictionary with unit columns, 10%-sparse codes, and their measurements."""
    rng = np.random.default_rng(seed)
    dictionary = rng.standard_normal((N_MEASUREMENTS, N_ATOMS))
    dictionary /= np.linalg.norm(dictionary, axis=0)
    codes = rng.standard_normal((BATCH, N_ATOMS)) * (rng.random((BATCH, N_ATOMS)) < 0.1)
    return dictionary, codes, codes @ dictionary.T


def _initial_weights(dictionary: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """ISTA's own weights, step 1/L: the network starts as K iterations of ISTA."""
    lipschitz = np.linalg.norm(dictionary, 2) ** 2
    encoder = dictionary / lipschitz
    lateral = np.eye(N_ATOMS) - dictionary.T @ dictionary / lipschitz
    return encoder, lateral


def train_torch(steps: int = 60, seed: int = 0) -> list[float]:
    """Train the thresholds and weights with Adam in PyTorch; return the loss history."""
    import torch

    from arrayshrink.torch import Softshrink

    dictionary, codes, measurements = make_problem(seed)
    encoder, lateral = (torch.tensor(w, requires_grad=True) for w in _initial_weights(dictionary))
    shrinks = torch.nn.ModuleList(
        Softshrink(INITIAL_THRESHOLD, learnable=True, num_parameters=N_ATOMS)
        for _ in range(N_LAYERS)
    ).double()
    b, target = torch.tensor(measurements), torch.tensor(codes)
    optimizer = torch.optim.Adam([encoder, lateral, *shrinks.parameters()], lr=0.01)
    history = []
    for _ in range(steps):
        x = torch.zeros_like(target)
        for shrink in shrinks:
            x = shrink(b @ encoder + x @ lateral)
        loss = ((x - target) ** 2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        history.append(loss.item())
    return history


def train_jax(steps: int = 60, seed: int = 0) -> list[float]:
    """The same network in JAX, with a jitted Adam step; return the loss history."""
    import jax
    import jax.numpy as jnp

    dictionary, codes, measurements = make_problem(seed)
    encoder, lateral = _initial_weights(dictionary)
    params = {
        "encoder": jnp.asarray(encoder, dtype=jnp.float32),
        "lateral": jnp.asarray(lateral, dtype=jnp.float32),
        "raw_thresholds": jnp.full((N_LAYERS, N_ATOMS), -3.0, dtype=jnp.float32),
    }
    b = jnp.asarray(measurements, dtype=jnp.float32)
    target = jnp.asarray(codes, dtype=jnp.float32)

    def loss_fn(p: dict[str, jax.Array]) -> jax.Array:
        x = jnp.zeros_like(target)
        for layer in range(N_LAYERS):
            theta = jax.nn.softplus(p["raw_thresholds"][layer])
            x = softshrink(b @ p["encoder"] + x @ p["lateral"], theta)
        return jnp.mean((x - target) ** 2)

    @jax.jit
    def step(p, m, v, t):  # type: ignore[no-untyped-def]
        loss, grads = jax.value_and_grad(loss_fn)(p)
        m = jax.tree.map(lambda m_, g: 0.9 * m_ + 0.1 * g, m, grads)
        v = jax.tree.map(lambda v_, g: 0.999 * v_ + 0.001 * g * g, v, grads)
        p = jax.tree.map(
            lambda p_, m_, v_: (
                p_ - 0.01 * (m_ / (1 - 0.9**t)) / (jnp.sqrt(v_ / (1 - 0.999**t)) + 1e-8)
            ),
            p,
            m,
            v,
        )
        return p, m, v, loss

    m = jax.tree.map(jnp.zeros_like, params)
    v = jax.tree.map(jnp.zeros_like, params)
    history = []
    for t in range(1, steps + 1):
        params, m, v, loss = step(params, m, v, t)
        history.append(float(loss))
    return history


if __name__ == "__main__":
    for name, train in (("torch", train_torch), ("jax", train_jax)):
        try:
            losses = train()
        except ImportError:
            print(f"{name}: not installed")
            continue
        print(f"{name}: loss {losses[0]:.4f} -> {losses[-1]:.4f} in {len(losses)} steps")
