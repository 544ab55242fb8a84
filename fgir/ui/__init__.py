"""Gradio user interface: widgets wired to :class:`fgir.service.RetrievalService`."""

from fgir.ui.blocks import build_demo

__all__ = ["build_demo"]
