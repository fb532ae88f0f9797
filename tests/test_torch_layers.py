"""arrayshrink.torch: the shrinkage rules as torch.nn layers, with learnable thresholds.

References: torch's own functional softshrink, hardshrink and tanhshrink, and
arrayshrink's functions with the same thresholds; torch's gradcheck and gradgradcheck
for the derivatives in the input and in the learnable thresholds.
"""

from __future__ import annotations

import io
import math
from types import ModuleType
from typing import Any

import pytest

import arrayshrink


@pytest.fixture
def layers(torch: ModuleType) -> ModuleType:
    import arrayshrink.torch as layers

    return layers


def _inputs(torch: ModuleType, *shape: int) -> Any:
    generator = torch.Generator().manual_seed(0)
    return torch.randn(*shape, generator=generator, dtype=torch.float64) * 2


def test_layers_go_into_sequential(torch: ModuleType, layers: ModuleType) -> None:
    x = _inputs(torch, 5, 3)
    model = torch.nn.Sequential(
        layers.Softshrink(0.5),
        layers.Hardshrink(0.3),
        layers.Tanhshrink(),
        layers.AsymmetricSoftshrink(-0.2, 0.1),
        layers.GroupSoftshrink(0.1, axis=-1),
    )
    F = torch.nn.functional
    expected = arrayshrink.group_softshrink(
        arrayshrink.asymmetric_softshrink(
            F.tanhshrink(F.hardshrink(F.softshrink(x, 0.5), 0.3)), -0.2, 0.1
        ),
        0.1,
    )
    torch.testing.assert_close(model(x), expected, rtol=0, atol=0)


def test_fixed_threshold_is_not_a_parameter(torch: ModuleType, layers: ModuleType) -> None:
    for layer in (layers.Softshrink(0.5), layers.AsymmetricSoftshrink(-1.0, 0.5)):
        assert list(layer.parameters()) == []
        assert list(layer.state_dict()) == []
    assert repr(layers.Softshrink(0.5)) == "Softshrink(lambd=0.5)"
    assert (
        repr(layers.AsymmetricSoftshrink(-1.0, 0.5)) == "AsymmetricSoftshrink(lower=-1, upper=0.5)"
    )


def test_learnable_threshold_starts_where_asked_and_gets_gradients(
    torch: ModuleType, layers: ModuleType
) -> None:
    layer = layers.Softshrink(0.7, learnable=True).double()
    assert [name for name, _ in layer.named_parameters()] == ["raw_lambd"]
    assert math.isclose(layer.lambd, 0.7, rel_tol=1e-6)  # raw_lambd starts in float32
    assert repr(layer) == "Softshrink(lambd=0.7, learnable=True)"
    x = _inputs(torch, 50)
    out = layer(x)
    torch.testing.assert_close(out, torch.nn.functional.softshrink(x, layer.lambd))
    out.sum().backward()
    # d/d lambda of sum(softshrink) = -(number above) + (number below); times softplus'.
    above, below = int((x > layer.lambd).sum()), int((x < -layer.lambd).sum())
    slope = 1 - math.exp(-layer.lambd)  # softplus'(raw) = sigmoid(raw) = 1 - exp(-lambda)
    torch.testing.assert_close(
        layer.raw_lambd.grad, torch.tensor([(below - above) * slope], dtype=torch.float64)
    )


def test_learnable_threshold_stays_positive(torch: ModuleType, layers: ModuleType) -> None:
    layer = layers.Softshrink(0.1, learnable=True)
    optimizer = torch.optim.SGD(layer.parameters(), lr=10.0)
    for _ in range(5):  # every step pushes lambda down hard
        optimizer.zero_grad()
        (-layer(torch.full((10,), 5.0)).sum()).backward()
        optimizer.step()
        assert layer.lambd > 0


def test_one_threshold_per_channel(torch: ModuleType, layers: ModuleType) -> None:
    x = _inputs(torch, 4, 3, 6)
    layer = layers.Softshrink(0.5, learnable=True, num_parameters=3).double()
    with torch.no_grad():
        layer.raw_lambd.copy_(torch.tensor([-2.0, 0.0, 2.0]))
    lam = torch.nn.functional.softplus(torch.tensor([-2.0, 0.0, 2.0], dtype=torch.float64))
    expected = torch.stack(
        [torch.nn.functional.softshrink(x[:, c], float(lam[c])) for c in range(3)], dim=1
    )
    torch.testing.assert_close(layer(x), expected)
    with pytest.raises(ValueError, match=r"3 thresholds need an input whose dimension 1"):
        layer(_inputs(torch, 4, 5))
    fixed = layers.Softshrink(0.5, num_parameters=3)
    assert [name for name, _ in fixed.named_buffers()] == ["lambd_values"]
    assert list(fixed.parameters()) == []


def test_state_dict_round_trips(torch: ModuleType, layers: ModuleType) -> None:
    source = torch.nn.Sequential(
        layers.Softshrink(0.3, learnable=True, num_parameters=4),
        layers.AsymmetricSoftshrink(-0.5, 0.2, learnable=True, num_parameters=4),
        layers.GroupSoftshrink(0.4, learnable=True, axis=-1),
    )
    with torch.no_grad():
        for parameter in source.parameters():
            parameter.add_(torch.rand_like(parameter))
    buffer = io.BytesIO()
    torch.save(source.state_dict(), buffer)
    buffer.seek(0)
    target = torch.nn.Sequential(
        layers.Softshrink(0.3, learnable=True, num_parameters=4),
        layers.AsymmetricSoftshrink(-0.5, 0.2, learnable=True, num_parameters=4),
        layers.GroupSoftshrink(0.4, learnable=True, axis=-1),
    )
    target.load_state_dict(torch.load(buffer))
    x = torch.randn(3, 4, 5)
    torch.testing.assert_close(target(x), source(x), rtol=0, atol=0)


def test_learnable_asymmetric_bounds(torch: ModuleType, layers: ModuleType) -> None:
    layer = layers.AsymmetricSoftshrink(-1.0, 0.5, learnable=True).double()
    assert {name for name, _ in layer.named_parameters()} == {"centre", "raw_width"}
    lower, upper = layer.bounds()
    torch.testing.assert_close(lower, torch.tensor([-1.0], dtype=torch.float64))
    torch.testing.assert_close(upper, torch.tensor([0.5], dtype=torch.float64))
    x = _inputs(torch, 40)
    torch.testing.assert_close(layer(x), arrayshrink.asymmetric_softshrink(x, -1.0, 0.5))
    assert "learnable=True" in repr(layer)


@pytest.mark.parametrize(
    "build",
    [
        lambda layers: layers.Softshrink(0.6, learnable=True, num_parameters=3),
        lambda layers: layers.GroupSoftshrink(0.6, learnable=True, axis=-1),
        lambda layers: layers.AsymmetricSoftshrink(-0.4, 0.9, learnable=True, num_parameters=3),
    ],
)
def test_gradcheck_in_input_and_thresholds(
    torch: ModuleType, layers: ModuleType, build: Any
) -> None:
    layer = build(layers).double()
    params = list(layer.parameters())
    x = torch.tensor(
        [[-2.1, -0.2, 1.3, 2.6], [0.1, -1.7, 2.2, -0.05], [1.1, -3.0, 0.45, 1.9]],
        dtype=torch.float64,
        requires_grad=True,
    )[None]

    def run(x: Any, *values: Any) -> Any:
        return torch.func.functional_call(
            layer, dict(zip([n for n, _ in layer.named_parameters()], values, strict=True)), (x,)
        )

    inputs = (x, *(p.detach().clone().requires_grad_() for p in params))
    assert torch.autograd.gradcheck(run, inputs)
    assert torch.autograd.gradgradcheck(run, inputs)


@pytest.mark.parametrize(
    "build",
    [
        lambda layers: layers.Softshrink(0.5, learnable=True, num_parameters=3),
        lambda layers: layers.Hardshrink(0.5),
        lambda layers: layers.Tanhshrink(),
        lambda layers: layers.GroupSoftshrink(0.5, axis=-1),
        lambda layers: layers.AsymmetricSoftshrink(-0.3, 0.6, learnable=True),
    ],
)
def test_compiles_with_fullgraph(torch: ModuleType, layers: ModuleType, build: Any) -> None:
    layer = build(layers)
    x = torch.randn(2, 3, 5)
    compiled = torch.compile(layer, fullgraph=True)  # Dynamo's full graph, Inductor's code
    torch.testing.assert_close(compiled(x), layer(x))


@pytest.mark.parametrize(
    ("build", "error", "match"),
    [
        (lambda L: L.Softshrink(-0.5), ValueError, r"Softshrink\(\): lambd must be"),
        (lambda L: L.Softshrink(0.0, learnable=True), ValueError, r"must start > 0"),
        (lambda L: L.Softshrink(0.5, num_parameters=0), ValueError, r"num_parameters must be >= 1"),
        (
            lambda L: L.Softshrink(0.5, num_parameters=2.0),
            TypeError,
            r"num_parameters must be an int",
        ),
        (lambda L: L.Softshrink(0.5, learnable=1), TypeError, r"learnable must be True or False"),
        (lambda L: L.AsymmetricSoftshrink(1.0, 0.0), ValueError, r"lower=1.0, upper=0.0"),
        (
            lambda L: L.AsymmetricSoftshrink(0.5, 0.5, learnable=True),
            ValueError,
            r"lower must be <",
        ),
        (lambda L: L.AsymmetricSoftshrink(math.inf), ValueError, r"lower must be finite"),
        (lambda L: L.GroupSoftshrink(0.5, axis=1.0), TypeError, r"axis must be an int"),
    ],
)
def test_bad_arguments_raise(
    torch: ModuleType, layers: ModuleType, build: Any, error: type, match: str
) -> None:
    with pytest.raises(error, match=match):
        build(layers)
