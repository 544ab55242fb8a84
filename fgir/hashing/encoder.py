"""Turn region features into codes with a loaded checkpoint, for either model kind.

Training, evaluation on cached features and the ``wlrh`` method all go through
:meth:`HashEncoder.outputs`, so a gallery indexed through the method gets the same codes as the
cached features it was trained on.
"""

from __future__ import annotations

import torch

from fgir.errors import msg
from fgir.hashing.checkpoint import MODEL_ITQ, MODEL_NETWORK, TRAIN_COMMAND, CheckpointError, HashCheckpoint
from fgir.hashing.codes import binarize
from fgir.hashing.network import HashNetwork
from fgir.hashing.regions import region_count

NETWORK_PREFIX = "network."


class HashEncoder:
    """Maps (region features [B, R, C], CroW descriptors [B, C]) to real outputs [B, K] and ±1 codes."""

    def __init__(self, checkpoint: HashCheckpoint) -> None:
        self.checkpoint = checkpoint
        self.model = checkpoint.model
        self.bits = checkpoint.bits
        self.layout = checkpoint.regions
        self.channels = int(checkpoint.metadata["channels"])
        self.network: HashNetwork | None = None
        if self.model == MODEL_NETWORK:
            self.network = build_network(checkpoint)
        elif self.model == MODEL_ITQ:
            self.itq_mean = checkpoint.tensors["itq.mean"].double()
            self.itq_matrix = (
                checkpoint.tensors["itq.projection"].double() @ checkpoint.tensors["itq.rotation"].double()
            )

    def outputs(self, region_features: torch.Tensor, crow: torch.Tensor) -> torch.Tensor:
        """Compute real outputs [B, K] whose signs are the codes, differentiably in both inputs.

        The hash network reads region features [B, R, C]; ITQ reads the CroW descriptors [B, C]
        and computes in float64.
        """
        if self.network is not None:
            return self.network(region_features)
        return (crow.double() - self.itq_mean) @ self.itq_matrix

    def codes(self, region_features: torch.Tensor, crow: torch.Tensor) -> torch.Tensor:
        """Compute ±1 codes [B, K] (float32): the sign of the outputs, with 0 mapped to +1."""
        with torch.no_grad():
            return binarize(self.outputs(region_features, crow))


def build_network(checkpoint: HashCheckpoint) -> HashNetwork:
    """Rebuild the checkpoint's hash network in eval mode with its trained parameters."""
    metadata = checkpoint.metadata
    network = HashNetwork(
        regions=region_count(metadata["regions"]),
        channels=int(metadata["channels"]),
        bits=checkpoint.bits,
        embedding=int(metadata["embedding"]),
        dropout=float(metadata.get("dropout", 0.0)),
    )
    state = {
        name[len(NETWORK_PREFIX) :]: tensor
        for name, tensor in checkpoint.tensors.items()
        if name.startswith(NETWORK_PREFIX)
    }
    try:
        network.load_state_dict(state, strict=True)
    except RuntimeError as error:
        raise CheckpointError(
            msg(
                "hashing.network_tensors_mismatch",
                name=checkpoint.display_name(),
                error=error,
                command=TRAIN_COMMAND,
            )
        ) from error
    return network.eval()
