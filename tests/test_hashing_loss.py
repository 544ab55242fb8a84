"""Central similarity loss on toy codes with hand-checkable values."""

from __future__ import annotations

import math

import torch

from fgir.hashing.loss import central_similarity_loss


def test_zero_outputs_cost_ln2_and_full_quantization():
    logits = torch.zeros(2, 4)
    centers = torch.tensor([[1, -1, 1, -1], [1, 1, -1, -1]], dtype=torch.float32)
    loss = central_similarity_loss(logits, centers, quantization_weight=0.5)
    # h = 0, so (h + 1) / 2 = 0.5 for every bit: BCE = ln 2; (|h| - 1)^2 = 1.
    assert math.isclose(loss.center.item(), math.log(2.0), rel_tol=1e-6)
    assert math.isclose(loss.quantization.item(), 1.0, rel_tol=1e-6)
    assert math.isclose(loss.total.item(), math.log(2.0) + 0.5, rel_tol=1e-6)


def test_half_confident_outputs_by_hand():
    # tanh(o) = 0.5 gives (h + 1) / 2 = 0.75.
    logits = torch.full((1, 2), math.atanh(0.5))
    toward = central_similarity_loss(logits, torch.tensor([[1.0, 1.0]]), quantization_weight=1.0)
    against = central_similarity_loss(logits, torch.tensor([[-1.0, -1.0]]), quantization_weight=1.0)
    assert math.isclose(toward.center.item(), -math.log(0.75), rel_tol=1e-5)
    assert math.isclose(against.center.item(), -math.log(0.25), rel_tol=1e-5)
    assert math.isclose(toward.quantization.item(), 0.25, rel_tol=1e-5)
    assert math.isclose(toward.total.item(), -math.log(0.75) + 0.25, rel_tol=1e-5)


def test_saturated_outputs_stay_finite():
    logits = torch.tensor([[60.0, -60.0]])
    loss = central_similarity_loss(logits, torch.tensor([[-1.0, 1.0]]), quantization_weight=1.0)
    # BCE with logits 2 o = ±120 against the wrong target is about 120 per bit.
    assert math.isfinite(loss.total.item())
    assert math.isclose(loss.center.item(), 120.0, rel_tol=1e-4)
    assert loss.quantization.item() < 1e-6


def test_gradient_points_toward_center():
    logits = torch.zeros(1, 2, requires_grad=True)
    loss = central_similarity_loss(logits, torch.tensor([[1.0, -1.0]]), quantization_weight=0.0)
    loss.total.backward()
    # Gradient descent moves bit 0 up (toward +1) and bit 1 down (toward -1).
    assert logits.grad[0, 0] < 0
    assert logits.grad[0, 1] > 0
