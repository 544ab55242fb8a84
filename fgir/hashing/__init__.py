"""Hashing: compact binary codes for retrieval, learned on cached backbone features.

- ``regions``: CroW-weighted local region features (pure functions).
- ``centers``: one binary hash center per class (Hadamard or random balanced).
- ``loss``: central similarity loss with a quantization term.
- ``network``: the hash network on region features.
- ``itq``: iterative quantization, the unsupervised baseline (pure numpy).
- ``features``: the cached training features of a gallery.
- ``training``: training runs and checkpoint contents.
- ``checkpoint``: saving, loading, validating and listing checkpoints.
- ``encoder``: features -> codes for a loaded checkpoint.
- ``codes``: binarization, Hamming ranking and mAP.

Submodules are imported where used, so importing this package stays cheap.
"""
