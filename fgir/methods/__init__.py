"""Retrieval methods. Importing this package registers every built-in method."""

from fgir.methods import crow, gap, gem, kpga, mac, rmac, scda, spoc, wlrh, wmtl  # noqa: F401  (imported for registration)
from fgir.methods.base import (
    METHODS,
    DescriptorBatch,
    Explanation,
    RetrievalMethod,
    create_method,
    register_method,
)

__all__ = ["METHODS", "DescriptorBatch", "Explanation", "RetrievalMethod", "create_method", "register_method"]
