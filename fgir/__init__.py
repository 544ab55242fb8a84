"""fgir: fine-grained image retrieval with visual explanations.

Pipeline: image -> backbone -> feature map -> weighting -> method -> descriptor -> index -> ranking -> views.
"""

__version__ = "0.1.0"
