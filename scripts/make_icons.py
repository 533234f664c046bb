#!/usr/bin/env python3
"""Generate the PWA / favicon icons for «Кабинет медработника».

Logo: a white medical record card (folded top-right corner) carrying a bold
blue medical cross, on a calm-blue rounded square.

All geometry is defined on a 100x100 unit grid (the same grid is used by the
hand-written ``static/icons/icon.svg``), drawn at 4x the target resolution and
downsampled with LANCZOS for smooth anti-aliased edges.

Usage::

    .venv/bin/python scripts/make_icons.py          # writes static/icons/*.png
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "static" / "icons"

SUPERSAMPLE = 4

# Palette ---------------------------------------------------------------
BLUE = (21, 88, 176)  # #1558b0 – brand colour, also the cross
BG_TOP = (30, 108, 206)  # #1e6cce – top of the subtle background gradient
BG_BOTTOM = (18, 78, 160)  # #124ea0 – bottom of the gradient
WHITE = (255, 255, 255)
FOLD = (190, 212, 240)  # #bed4f0 – folded corner of the card

# Geometry on a 100-unit grid (centre = 50,50) ----------------------------
BG_RADIUS = 22  # corner radius of the rounded-square background
CARD = (28, 18, 72, 82)  # x0, y0, x1, y1 – the record card
CARD_RADIUS = 7
FOLD_SIZE = 14  # size of the folded (cut) top-right corner
CROSS_CENTER = (50, 54)
CROSS_LEN = 30  # full length of each arm
CROSS_W = 11  # thickness of each arm
CROSS_RADIUS = 2  # slight rounding of the cross ends


def _gradient(size: int) -> Image.Image:
    """Vertical gradient from BG_TOP to BG_BOTTOM (RGBA, opaque)."""
    col = Image.new("RGBA", (1, size))
    for y in range(size):
        t = y / max(size - 1, 1)
        col.putpixel(
            (0, y),
            tuple(round(a + (b - a) * t) for a, b in zip(BG_TOP, BG_BOTTOM, strict=True)) + (255,),
        )
    return col.resize((size, size), Image.Resampling.NEAREST)


def _draw_mark(img: Image.Image, scale: float) -> None:
    """Draw the card + cross onto ``img`` (square, RGBA).

    ``scale`` shrinks/enlarges the mark around the centre of the canvas
    (1.0 = the layout of the standard icon).
    """
    size = img.width
    u = size / 100.0

    def p(x: float, y: float) -> tuple[float, float]:
        return ((50 + (x - 50) * scale) * u, (50 + (y - 50) * scale) * u)

    def r(v: float) -> float:
        return v * scale * u

    # -- card (white) with the top-right corner cut off ------------------
    card_mask = Image.new("L", img.size, 0)
    d = ImageDraw.Draw(card_mask)
    x0, y0, x1, y1 = CARD
    d.rounded_rectangle((*p(x0, y0), *p(x1, y1)), radius=r(CARD_RADIUS), fill=255)
    # cut the corner along the diagonal
    d.polygon([p(x1 - FOLD_SIZE, y0 - 1), p(x1 + 1, y0 - 1), p(x1 + 1, y0 + FOLD_SIZE)], fill=0)
    img.paste(Image.new("RGBA", img.size, WHITE + (255,)), (0, 0), card_mask)

    # -- folded flap (light blue triangle, inner corner slightly rounded) --
    flap = ImageDraw.Draw(img)
    fr = 2.2  # rounding of the flap's inner corner
    flap.polygon(
        [
            p(x1 - FOLD_SIZE, y0),
            p(x1 - FOLD_SIZE, y0 + FOLD_SIZE - fr),
            p(x1 - FOLD_SIZE + fr * 0.3, y0 + FOLD_SIZE - fr * 0.3),
            p(x1 - FOLD_SIZE + fr, y0 + FOLD_SIZE),
            p(x1, y0 + FOLD_SIZE),
        ],
        fill=FOLD + (255,),
    )

    # -- medical cross (brand blue) ---------------------------------------
    cx, cy = CROSS_CENTER
    h, w = CROSS_LEN / 2, CROSS_W / 2
    d = ImageDraw.Draw(img)
    d.rounded_rectangle(
        (*p(cx - h, cy - w), *p(cx + h, cy + w)), radius=r(CROSS_RADIUS), fill=BLUE + (255,)
    )
    d.rounded_rectangle(
        (*p(cx - w, cy - h), *p(cx + w, cy + h)), radius=r(CROSS_RADIUS), fill=BLUE + (255,)
    )


def render(size: int, *, rounded: bool, mark_scale: float, opaque: bool = False) -> Image.Image:
    big = size * SUPERSAMPLE
    bg = _gradient(big)
    if rounded:
        mask = Image.new("L", (big, big), 0)
        ImageDraw.Draw(mask).rounded_rectangle(
            (0, 0, big - 1, big - 1), radius=BG_RADIUS * big / 100.0, fill=255
        )
        img = Image.new("RGBA", (big, big), (0, 0, 0, 0))
        img.paste(bg, (0, 0), mask)
    else:
        img = bg
    _draw_mark(img, mark_scale)
    out = img.resize((size, size), Image.Resampling.LANCZOS)
    if opaque:
        out = out.convert("RGB")
    return out


# name -> (size, rounded background, mark scale, opaque)
ICONS = {
    # standard "any" purpose icons: rounded square with transparent corners
    "icon-192.png": (192, True, 1.0, False),
    "icon-512.png": (512, True, 1.0, False),
    # maskable: full-bleed background, mark well inside the central 80 % circle
    # (farthest card corner ~37.7 units from centre * 0.92 ≈ 34.7 < 40)
    "icon-maskable-512.png": (512, False, 0.92, True),
    # iOS applies its own mask: opaque, square, full-bleed
    "apple-touch-icon-180.png": (180, False, 0.9, True),
    # favicon: slightly larger mark so the cross reads at 32 px
    "favicon-32.png": (32, True, 1.15, False),
}


def main() -> None:
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    for name, (size, rounded, scale, opaque) in ICONS.items():
        img = render(size, rounded=rounded, mark_scale=scale, opaque=opaque)
        path = OUT_DIR / name
        img.save(path, "PNG", optimize=True)
        print(
            f"{path.relative_to(ROOT)}  {img.size[0]}x{img.size[1]}  {img.mode}  "
            f"{path.stat().st_size} B"
        )


if __name__ == "__main__":
    main()
