"""Gradio components that fgir adapts.

Gradio's component metaclass writes a typing stub (``components.pyi``) beside a module that
defines a component, so these classes live alone here and the stub is git-ignored.
"""

from __future__ import annotations

import gradio as gr
from gradio.data_classes import ImageData


class QueryImage(gr.Image):
    """Image input that hands an uploaded file to fgir's loader unopened.

    ``gr.Image`` opens every upload with Pillow before a handler runs, so a damaged or non-image
    file failed with Gradio's generic error. Here fgir's loader judges it, and the status box
    names the file and the fix in the page's language. A subclass, not a patched instance, because
    Gradio rebuilds a component from its class when a handler updates its label.
    """

    is_template = True  # Use gr.Image's front end.

    def preprocess(self, payload: ImageData | None) -> str | None:
        if payload is not None and payload.path and not (payload.url or "").startswith("data:"):
            return str(payload.path)
        return super().preprocess(payload)
