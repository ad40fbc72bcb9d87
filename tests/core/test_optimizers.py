"""Optimisers against an element-by-element transcription of PyTorch's documented algorithms."""

import math

import numpy as np
import pytest

from mlpviz.core import SGD, Adam, ConfigError, make_optimizer


def reference_sgd(p, grads, lr, momentum):
    """torch.optim.SGD (dampening 0, no nesterov), one scalar at a time."""
    p = list(p)
    buf = [None] * len(p)
    for g in grads:
        for i, gi in enumerate(g):
            if momentum:
                buf[i] = gi if buf[i] is None else momentum * buf[i] + gi
                p[i] -= lr * buf[i]
            else:
                p[i] -= lr * gi
    return np.array(p)


def reference_adam(p, grads, lr, beta1, beta2, eps):
    """torch.optim.Adam (amsgrad off), one scalar at a time."""
    p = list(p)
    m = [0.0] * len(p)
    v = [0.0] * len(p)
    for t, g in enumerate(grads, start=1):
        for i, gi in enumerate(g):
            m[i] = beta1 * m[i] + (1 - beta1) * gi
            v[i] = beta2 * v[i] + (1 - beta2) * gi * gi
            denom = math.sqrt(v[i]) / math.sqrt(1 - beta2**t) + eps
            p[i] -= lr / (1 - beta1**t) * m[i] / denom
    return np.array(p)


def gradient_sequence(n_steps=25, size=6, seed=0):
    return np.random.default_rng(seed).normal(size=(n_steps, size)) * np.logspace(-6, 2, size)


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_sgd_matches_pytorch_rule(momentum):
    start = np.linspace(-1, 1, 6)
    grads = gradient_sequence()
    params = start.copy()
    opt = SGD(0.05, momentum=momentum)
    for g in grads:
        opt.step([params], [g])
    np.testing.assert_allclose(params, reference_sgd(start, grads, 0.05, momentum), rtol=1e-13)


@pytest.mark.parametrize(("betas", "eps"), [((0.9, 0.999), 1e-8), ((0.5, 0.9), 1e-3)])
def test_adam_matches_pytorch_rule(betas, eps):
    start = np.linspace(-1, 1, 6)
    grads = gradient_sequence(seed=1)
    params = start.copy()
    opt = Adam(0.01, betas=betas, eps=eps)
    for g in grads:
        opt.step([params], [g])
    expected = reference_adam(start, grads, 0.01, *betas, eps)
    np.testing.assert_allclose(params, expected, rtol=1e-12, atol=1e-15)


def test_state_is_kept_per_parameter_array():
    a, b = np.zeros(3), np.zeros(2)
    opt = SGD(1.0, momentum=0.5)
    opt.step([a, b], [np.ones(3), np.full(2, 2.0)])
    opt.step([a, b], [np.ones(3), np.full(2, 2.0)])
    np.testing.assert_allclose(a, -(1 + 1.5))
    np.testing.assert_allclose(b, -(2 + 3.0))


def test_first_adam_step_moves_each_parameter_by_about_lr():
    params = np.zeros(4)
    Adam(0.1).step([params], [np.array([1e-3, -5.0, 100.0, 1e-6])])
    np.testing.assert_allclose(np.abs(params), 0.1, rtol=1e-2)


def test_learning_rate_can_change_without_losing_state():
    params = np.zeros(1)
    opt = SGD(1.0, momentum=0.9)
    opt.step([params], [np.ones(1)])
    opt.lr = 0.5
    opt.step([params], [np.ones(1)])
    assert params[0] == pytest.approx(-1.0 - 0.5 * 1.9)


def test_reset_forgets_state():
    params = np.zeros(1)
    opt = Adam(0.1)
    opt.step([params], [np.ones(1)])
    opt.reset()
    assert opt.t == 0
    opt.step([params], [np.ones(1)])
    assert opt.t == 1


@pytest.mark.parametrize("lr", [0.0, -1.0, float("nan"), float("inf")])
def test_invalid_learning_rates_are_refused(lr):
    with pytest.raises(ConfigError, match="learning rate"):
        SGD(lr)
    with pytest.raises(ConfigError, match="learning rate"):
        Adam(lr)


def test_make_optimizer_by_name():
    assert isinstance(make_optimizer("sgd", 0.1), SGD)
    assert make_optimizer("momentum", 0.1).momentum == 0.9
    assert isinstance(make_optimizer("adam", 0.1), Adam)
    with pytest.raises(ConfigError, match="unknown optimizer"):
        make_optimizer("rmsprop", 0.1)


@pytest.mark.parametrize("make", [lambda: Adam(1e-3), lambda: SGD(0.1, momentum=0.9)])
def test_decaying_buffers_skip_the_slow_subnormal_numbers(make):
    """A float32 buffer whose gradient stays 0 (a dead neuron) decays to exactly 0 without
    lingering among the subnormal numbers, which x86 CPUs compute many times slower."""
    optimizer = make()
    params = [np.ones(4, dtype=np.float32)]
    optimizer.step(params, [np.full(4, 1e-3, dtype=np.float32)])
    zero = [np.zeros(4, dtype=np.float32)]
    tiny = np.finfo(np.float32).tiny
    subnormal_steps = 0
    for _ in range(2000):
        optimizer.step(params, zero)
        buffers = next(iter(optimizer.state().arrays.values()))[0]
        subnormal_steps += int(((buffers != 0) & (np.abs(buffers) < tiny)).any())
    assert (next(iter(optimizer.state().arrays.values()))[0] == 0).all()
    assert subnormal_steps <= 8
