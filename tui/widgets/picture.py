"""A photo in the terminal: real pixels where the terminal shows graphics, a clear fallback where not.

textual-image draws with Sixel or the Kitty graphics protocol when the terminal answers that it
can, and with coloured half cells in any other terminal (a coarse but true preview). It must ask
the terminal before Textual starts reading the keyboard, so `detect()` runs at start-up
(`tui.launch`). Where it is not installed, or there is no terminal to ask (a test, the browser),
the picture is its caption alone, saying why and how to see the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from tui.i18n import t

_KIND: str | None = None


def detect() -> str:
    """How this terminal shows pictures: "sixel", "kitty", "cells" (half blocks) or "text"."""
    global _KIND
    if _KIND is None:
        try:
            from textual_image import renderable
        except ImportError:
            _KIND = "text"
        else:
            chosen = renderable.Image  # the renderable textual-image picked for this terminal
            _KIND = (
                "sixel"
                if chosen is renderable.SixelImage
                else "kitty"
                if chosen is renderable.TGPImage
                else "cells"
                if chosen is renderable.HalfcellImage
                else "text"
            )
    return _KIND


class Picture(Vertical):
    """One attachment: its image (thumbnail or full) and a caption of what it is."""

    DEFAULT_CSS = """
    Picture { height: auto; width: 1fr; padding: 0 1; }
    Picture .image { height: 12; width: auto; }
    Picture.large .image { height: 1fr; }
    Picture.large { height: 1fr; }
    Picture .caption { color: $text-muted; }
    """

    def __init__(self, path: Path | None, caption: str, **kwargs: Any):
        super().__init__(**kwargs)
        self.path = path
        self.caption = caption

    def compose(self) -> ComposeResult:
        if self.path is not None and detect() != "text":
            from textual_image.widget import Image

            yield Image(self.path, classes="image")
        elif self.path is None:
            yield Static(t("photo.not_here"), classes="caption")
        else:
            yield Static(t("photo.no_graphics"), classes="caption")
        yield Static(self.caption, classes="caption", markup=False)
