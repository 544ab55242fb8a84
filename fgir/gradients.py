"""Per-image gradients of convolution kernels, computed from saved activations.

For a conv layer Y = W * X (no groups), dL/dW = sum over output positions p of
dL/dY[:, p] ⊗ unfold(X)[:, p]. In eval mode the images of a batch do not interact, so one batched
backward gives each image's dL/dY, and the sum over positions is done per image here. That is
exact per-image kernel gradients without a backward per image, and without touching ``.grad``.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F


def per_sample_kernel_gradient(conv: nn.Conv2d, inputs: torch.Tensor, output_gradient: torch.Tensor) -> torch.Tensor:
    """Return dL_b/dW for each image b: [B, C_out, C_in * kh * kw] from inputs [B, C_in, H, W] and dL/dY [B, C_out, H', W']."""
    if conv.groups != 1:
        raise ValueError(f"Grouped convolution {conv} is not supported; choose a conv layer with groups=1.")
    columns = F.unfold(inputs, conv.kernel_size, dilation=conv.dilation, padding=conv.padding, stride=conv.stride)
    return torch.einsum("bop,bqp->boq", output_gradient.flatten(2), columns)


def aggregate_kernel_gradient(gradient: torch.Tensor) -> torch.Tensor:
    """Sum gradient magnitudes over input channels and kernel positions: [B, C_out, Q] -> [B, C_out]."""
    return gradient.abs().sum(dim=2)
