"""Render the pictures of docs/masks.md into docs/images/.

usage: python scripts/render-mask-figures.py   (needs VTONDATA_SHARED for the photo figure)

1. masks-vs-catvton.png: for two VITON-HD persons of shared/data/persons-catvton-flux,
   our offline-recipe masks per category (grey) with the outline of the
   agnostic mask catvton-flux was trained on (red). Only mask shapes are drawn:
   the photos' licence does not allow copying them into this repository.
2. masks-synthetic.png: synthetic bodies (tests/synthetic.py) in three upper
   garments and three lower garments with our masks tinted over them: the
   masks agree whatever is worn.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.synthetic import dress_body, make_body  # noqa: E402
from vtondata.api import process_image  # noqa: E402
from vtondata.config import load_recipe  # noqa: E402
from vtondata.geometry.agnostic import agnostic_mask  # noqa: E402
from vtondata.render.overlay import contact_sheet, render_overlay  # noqa: E402
from vtondata.sample import Category  # noqa: E402

IMAGES = ROOT / "docs" / "images"
TILE_PX = 240
PHOTOS = ("00008_00", "00057_00")
CATEGORIES = ("upper", "lower", "dress")


def _label(image: np.ndarray, text: str) -> np.ndarray:
    out = image.copy()
    cv2.putText(out, text, (12, 44), cv2.FONT_HERSHEY_SIMPLEX, 1.4, (20, 20, 20), 3, cv2.LINE_AA)
    return out


def mask_shapes_figure(shared: Path) -> np.ndarray:
    recipe = load_recipe("offline")
    tiles = []
    for stem in PHOTOS:
        photo = shared / "data/persons-catvton-flux" / f"{stem}.jpg"
        reference = cv2.imread(str(photo.with_name(f"{stem}_mask.png")), cv2.IMREAD_GRAYSCALE) > 127
        outline, _ = cv2.findContours(reference.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        for category in CATEGORIES:
            sample = process_image(photo, category, recipe)
            canvas = np.full((*reference.shape, 3), 255, np.uint8)
            if sample.agnostic_mask is not None:
                canvas[sample.agnostic_mask] = (150, 150, 150)
            cv2.drawContours(canvas, outline, -1, (220, 30, 30), 5, cv2.LINE_AA)
            tiles.append(_label(canvas, f"{stem} {category}"))
    return contact_sheet(tiles, columns=len(CATEGORIES), tile_width=TILE_PX)


def synthetic_figure() -> np.ndarray:
    recipe = load_recipe("offline")
    rows = (("upper", ("sleeveless_tight", "short_sleeve_loose", "long_sleeve_loose")),
            ("lower", ("shorts_tight", "long_skirt_loose", "trousers_loose")))  # fmt: skip
    tiles = []
    for category, garments in rows:
        for garment in garments:
            dressed = dress_body(make_body("arms_out"), garment)
            params = getattr(recipe.mask, category)
            mask = agnostic_mask(
                dressed.size_wh,
                dressed.keypoints_px,
                dressed.layers(garment=False),
                Category(category),
                params,
            )
            tiles.append(_label(render_overlay(dressed.image_rgb, mask, alpha=0.55), garment))
    return contact_sheet(tiles, columns=3, tile_width=TILE_PX)


def main() -> None:
    IMAGES.mkdir(parents=True, exist_ok=True)
    shared = Path(os.environ.get("VTONDATA_SHARED", ROOT.parent / "shared"))
    figures = {"masks-synthetic.png": synthetic_figure(), "masks-vs-catvton.png": mask_shapes_figure(shared)}
    for name, image in figures.items():
        cv2.imwrite(str(IMAGES / name), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
        print(f"wrote {IMAGES / name}")


if __name__ == "__main__":
    main()
