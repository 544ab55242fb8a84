"""Hash network on region features: shared region embedding, learned region weights, linear hash layer.

Input: region features [B, R, C] from :mod:`fgir.hashing.regions`.

1. Every region goes through the same linear map C -> E and a ReLU (``embedding = E``); with
   ``embedding = 0`` this step is left out and the raw features are used (E = C).
2. Region r is scaled by a learned weight R * softmax(a)_r, all 1 at initialization.
3. The concatenation [B, R * E] goes through dropout and a linear layer to K real outputs.

The code of an image is the sign of its outputs.
"""

from __future__ import annotations

import torch
import torch.nn as nn

DEFAULT_EMBEDDING = 1024
DEFAULT_DROPOUT = 0.5


class HashNetwork(nn.Module):
    """Maps region features [B, R, C] to real outputs [B, K]; codes are their signs."""

    def __init__(
        self,
        regions: int,
        channels: int,
        bits: int,
        embedding: int = DEFAULT_EMBEDDING,
        dropout: float = DEFAULT_DROPOUT,
    ) -> None:
        super().__init__()
        self.regions, self.channels, self.bits = regions, channels, bits
        self.region_logits = nn.Parameter(torch.zeros(regions))
        self.embed = nn.Sequential(nn.Linear(channels, embedding), nn.ReLU()) if embedding > 0 else nn.Identity()
        width = embedding if embedding > 0 else channels
        self.dropout = nn.Dropout(dropout)
        self.hash_layer = nn.Linear(regions * width, bits)

    def region_weights(self) -> torch.Tensor:
        """Weights [R] of the regions, R * softmax(a), so that they average 1."""
        return self.regions * torch.softmax(self.region_logits, dim=0)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        if features.shape[1:] != (self.regions, self.channels):
            raise ValueError(
                f"Expected region features [B, {self.regions}, {self.channels}], got {tuple(features.shape)}"
            )
        embedded = self.embed(features)  # [B, R, E]
        weighted = embedded * self.region_weights()[None, :, None]
        return self.hash_layer(self.dropout(weighted.flatten(1)))
