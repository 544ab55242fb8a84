"""Convolution-kernel gradient aggregation (``kpga``).

An image is represented by the gradients that a loss on its output feature map induces in the
kernel weights of chosen conv layers. The idea is that the kernels that would have to change most
carry the image's key information.

1. Forward the batch with autograd on; save each chosen conv layer's input X and output Y.
2. Loss per image: L = ½ ||f||² with f the CroW-weighted sum-pooled descriptor of the last map,
   f_c = w_c Σ_ij S_ij X_cij, with S and w treated as constants. Its gradient pushes every
   position in proportion to how much CroW already weights it, so the kernels that feed the
   salient, distinctive channels get the largest gradients. Summing L over the batch keeps the
   per-image gradients separate because the network is in eval mode.
3. One ``torch.autograd.grad`` call gives dL/dY for every chosen layer; the per-image kernel
   gradient is rebuilt from X and dL/dY (see :mod:`fgir.gradients`) and aggregated per output
   channel (sum of magnitudes), then L2-normalized per layer, because gradient magnitude scales
   with activation magnitude.
4. The layers are concatenated with ``layer_weights`` and L2-normalized.
"""

from __future__ import annotations

import threading
from typing import Sequence

import torch
import torch.nn as nn

from fgir.backbones import Backbone
from fgir.gradients import aggregate_kernel_gradient, per_sample_kernel_gradient
from fgir.methods.base import DescriptorBatch, Explanation, RetrievalMethod, register_method
from fgir.pooling import l2_normalize
from fgir.saliency import objective_saliency
from fgir.weighting import channel_weights, crow_weighted_map, spatial_weights

_captures = threading.local()  # Each thread records only its own forward pass.
_hooked: set[tuple[int, str]] = set()
_hook_lock = threading.Lock()


def crow_energy(feature_map: torch.Tensor) -> torch.Tensor:
    """Per-image loss ½ ||f||², f the CroW-weighted sum pooling with detached weights: [B, C, H, W] -> [B]."""
    spatial = spatial_weights(feature_map.detach())
    channel = channel_weights(feature_map.detach())
    pooled = (feature_map * spatial[:, None]).sum(dim=(2, 3)) * channel
    return 0.5 * pooled.pow(2).sum(dim=1)


def _record(name: str):
    def hook(module: nn.Module, inputs: tuple[torch.Tensor, ...], output: torch.Tensor) -> None:
        store = getattr(_captures, "store", None)
        if store is not None:
            store[name] = (inputs[0], output)

    return hook


def _ensure_hooks(backbone: Backbone, layers: Sequence[str]) -> dict[str, nn.Conv2d]:
    convs = {}
    with _hook_lock:
        for name in layers:
            module = backbone.extractor.get_submodule(name)
            if not isinstance(module, nn.Conv2d):
                raise ValueError(f"kpga layer {name!r} of {backbone.id} is a {type(module).__name__}, not a Conv2d.")
            if (id(module), name) not in _hooked:
                module.register_forward_hook(_record(name))
                _hooked.add((id(module), name))
            convs[name] = module
    return convs


@register_method
class KernelGradientAggregation(RetrievalMethod):
    id = "kpga"
    display_name = "Convolution-kernel gradient aggregation"
    slow = True  # One forward and a partial backward per image.

    def __init__(self, layers: Sequence[str] | None = None, layer_weights: Sequence[float] | None = None) -> None:
        self.layers = tuple(layers) if layers else None
        self.layer_weights = tuple(layer_weights) if layer_weights else None

    def options(self) -> dict[str, object]:
        return {"layers": self.layers or "default", "layer_weights": self.layer_weights or "equal"}

    def _layers(self, backbone: Backbone) -> tuple[str, ...]:
        layers = self.layers or backbone.spec.gradient_layers
        if not layers:
            raise ValueError(f"Backbone {backbone.id} names no gradient layers; pass kpga layers explicitly.")
        return layers

    def layer_descriptors(self, backbone: Backbone, images: torch.Tensor) -> list[torch.Tensor]:
        """Per-layer aggregated kernel gradients, each L2-normalized: a list of [B, C_out]."""
        layers = self._layers(backbone)
        convs = _ensure_hooks(backbone, layers)
        _captures.store = {}
        try:
            with torch.inference_mode(False), torch.enable_grad():
                feature_map = backbone.feature_maps(images.clone()).last
                captured = dict(_captures.store)
                loss = crow_energy(feature_map).sum()
                outputs = [captured[name][1] for name in layers]
                output_gradients = torch.autograd.grad(loss, outputs)
        finally:
            _captures.store = None
        parts = []
        for name, output_gradient in zip(layers, output_gradients):
            inputs = captured[name][0].detach()
            kernel_gradient = per_sample_kernel_gradient(convs[name], inputs, output_gradient.detach())
            parts.append(l2_normalize(aggregate_kernel_gradient(kernel_gradient)))
        return parts

    def describe(self, backbone: Backbone, images: torch.Tensor) -> DescriptorBatch:
        parts = self.layer_descriptors(backbone, images)
        weights = self.layer_weights or (1.0,) * len(parts)
        if len(weights) != len(parts):
            raise ValueError(f"kpga got {len(weights)} layer weights for {len(parts)} layers; give one weight per layer.")
        fused = torch.cat([weight * part for weight, part in zip(weights, parts)], dim=1)
        return DescriptorBatch(descriptors=l2_normalize(fused).detach().float(), boxes=None)

    def explain(self, backbone: Backbone, image: torch.Tensor) -> Explanation:
        with torch.inference_mode():
            feature_map = backbone.feature_maps(image).last
        weighted, spatial, channel = crow_weighted_map(feature_map)
        saliency = objective_saliency(feature_map, lambda x: crow_energy(x).sum())
        return Explanation(
            spatial_weights=spatial[0].numpy(),
            channel_weights=channel[0].numpy(),
            saliency=saliency.numpy(),
        )
