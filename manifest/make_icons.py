"""Draw the Teams app icons: `python manifest/make_icons.py` writes color.png and outline.png.

Teams wants a 192x192 full-colour icon and a 32x32 outline icon that is white on a transparent
background (https://learn.microsoft.com/microsoftteams/platform/concepts/build-and-test/apps-package).
The symbol is a calendar page with a tick: reviews held on time. Both are drawn at eight times
their size and reduced by averaging (a box filter: smooth edges, no ringing round the lines).
The PNGs are committed; run this again only to change the design (tests/unit/test_manifest.py
checks what the package needs of them).
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

HERE = Path(__file__).resolve().parent
ACCENT = (11, 79, 138, 255)  # #0B4F8A, the manifest's accentColor
WHITE = (255, 255, 255, 255)
SCALE = 8


def _symbol(draw: ImageDraw.ImageDraw, box: tuple[float, float, float, float], line: float) -> None:
    """A calendar page with two binder rings and a tick, inside ``box``, in white."""
    left, top, right, bottom = box
    width = right - left
    page_top = top + width * 0.12
    radius = width * 0.12
    draw.rounded_rectangle((left, page_top, right, bottom), radius=radius, outline=WHITE,
                           width=round(line))  # fmt: skip
    # The header band under the rings.
    band = page_top + width * 0.22
    draw.line((left, band, right, band), fill=WHITE, width=round(line))
    for ring_x in (left + width * 0.28, left + width * 0.72):
        draw.line((ring_x, top, ring_x, page_top + width * 0.1), fill=WHITE, width=round(line))
    # The tick.
    tick = [
        (left + width * 0.26, band + (bottom - band) * 0.50),
        (left + width * 0.44, band + (bottom - band) * 0.72),
        (left + width * 0.76, band + (bottom - band) * 0.26),
    ]
    draw.line(tick, fill=WHITE, width=round(line * 1.2), joint="curve")


def color_icon() -> Image.Image:
    size = 192 * SCALE
    image = Image.new("RGBA", (size, size), ACCENT)
    # The symbol sits in the middle 96x96 area, as Teams' icon guidance asks.
    margin = 48 * SCALE
    _symbol(ImageDraw.Draw(image), (margin, margin, size - margin, size - margin), 7 * SCALE)
    return image.reduce(SCALE).convert("RGB")


def outline_icon() -> Image.Image:
    size = 32 * SCALE
    image = Image.new("RGBA", (size, size), (255, 255, 255, 0))
    margin = 3 * SCALE
    _symbol(ImageDraw.Draw(image), (margin, margin, size - margin, size - margin), 2.2 * SCALE)
    small = image.reduce(SCALE)
    # Only the alpha channel carries the drawing: every pixel white, so scaling cannot leave
    # grey fringes (Teams rejects an outline icon with colours other than white).
    alpha = small.getchannel("A")
    out = Image.new("RGBA", (32, 32), (255, 255, 255, 0))
    out.putalpha(alpha)
    return out


def main() -> None:
    color_icon().save(HERE / "color.png", optimize=True)
    outline_icon().save(HERE / "outline.png", optimize=True)


if __name__ == "__main__":
    main()
