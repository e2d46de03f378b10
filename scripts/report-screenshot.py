"""Render the first screen of a report for docs/report.md, on synthetic people.

usage: python scripts/report-screenshot.py WORK docs/images/report-first-screen.png

The shared photos' licences do not allow copying them into this repository,
so the dataset is made of the synthetic bodies of tests/synthetic.py: every
pose in every upper garment twice, each at its own random body scale (so no
two samples are the same person, as in a real catalogue), drawn at 384x512,
with the offline
recipe's mask and parse map computed from their keypoints and evidence
layers (face, hair, hands, feet, skin and silhouette, as the Holistic
evidence gives them) by vtondata's own functions. Statistics are measured on
those masks; inputs whose repaint region exceeds the recipe's upper bound
are rejected with its reason code, and two bad files are rejected as ingest
rejects them. The dataset goes through vtondata's chunk writer into
``WORK/out`` (``WORK/raw`` holds the inputs), the report is written, and the
system Chromium (Playwright, ``executable_path``) takes the 1280x900 screenshot.
"""

from __future__ import annotations

import hashlib
import shutil
import sys
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.output.synthetic import write_test_manifest  # noqa: E402
from tests.report.chromium import CHROMIUM, FLAGS  # noqa: E402
from tests.synthetic import GARMENTS, POSES, dress_body, make_body  # noqa: E402
from vtondata.config import load_recipe  # noqa: E402
from vtondata.config.output import OutputConfig  # noqa: E402
from vtondata.geometry.agnostic import agnostic_mask  # noqa: E402
from vtondata.geometry.parse_map import parse_map  # noqa: E402
from vtondata.output.shards import write_chunk  # noqa: E402
from vtondata.report import write_report  # noqa: E402
from vtondata.sample import Category, Sample  # noqa: E402
from vtondata.stages.encode import EncodeStage  # noqa: E402

WIDTH_PX, HEIGHT_PX = 384, 512
SCALE_RANGE_PX = (70.0, 90.0)
"""Shoulder widths, drawn at random per sample, independently of the garment."""
MAX_AREA_RATIO = 0.42
"""The upper bound on the repaint share used for this picture, so that some inputs are rejected."""
BAD_FILES = {
    "scan_0001.jpg": ("ingest.truncated", "image file is truncated"),
    "notes.jpg": ("ingest.not_an_image", "cannot identify image file"),
}


def _samples(raw: Path) -> list[Sample]:
    recipe = load_recipe("offline")
    samples = []
    rng = np.random.default_rng(0)
    for pose in POSES:
        for _ in range(2):
            for garment in GARMENTS["upper"]:
                scale = float(rng.uniform(*SCALE_RANGE_PX))
                body = make_body(pose, WIDTH_PX, HEIGHT_PX, scale)
                dressed = dress_body(body, garment)
                name = f"{pose}_{garment}_{len(samples):02d}.png"
                bgr = cv2.cvtColor(dressed.image_rgb, cv2.COLOR_RGB2BGR)
                cv2.imwrite(str(raw / name), bgr)
                ok, jpeg = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, 92])
                assert ok
                layers = dressed.layers(garment=False, protected=True, skin=True)
                mask = agnostic_mask(
                    dressed.size_wh, body.keypoints_px, layers, Category.UPPER, recipe.mask.upper
                )
                index = len(samples)
                sample = Sample(
                    key=f"{index:07d}_{Path(name).stem}",
                    index=index,
                    source_path=name,
                    category=Category.UPPER,
                    chunk=0,
                    source_sha256=hashlib.sha256(jpeg.tobytes()).hexdigest(),
                    person_jpg=jpeg.tobytes(),
                    image_size=dressed.size_wh,
                    keypoints_px=body.keypoints_px,
                    agnostic_mask=mask,
                    parse_map=parse_map(layers, body.keypoints_px, Category.UPPER),
                    stats={
                        "mask.area_ratio": float(mask.mean()),
                        "mask.face_intrusion": float((mask & dressed.face).sum() / dressed.face.sum()),
                        "pose.conf_min": float(body.keypoints_px[:, 2].min()),
                    },
                    timings_s={"pose": 0.21, "segment": 0.34, "mask": 0.004},
                )
                if sample.stats["mask.area_ratio"] > MAX_AREA_RATIO:
                    share = sample.stats["mask.area_ratio"]
                    sample.reject(
                        "quality.mask_max_area_ratio", f"mask.area_ratio {share:.3f} > {MAX_AREA_RATIO}"
                    )
                samples.append(sample)
    for name, (code, message) in BAD_FILES.items():
        (raw / name).write_bytes(b"\xff\xd8\xff\xe0 not a whole jpeg")
        index = len(samples)
        key = f"{index:07d}_{Path(name).stem}"
        bad = Sample(key=key, index=index, source_path=name, category=Category.UPPER, chunk=0)
        bad.reject(code, message)
        samples.append(bad)
    return samples


def main() -> None:
    work, target = Path(sys.argv[1]), Path(sys.argv[2])
    shutil.rmtree(work, ignore_errors=True)
    raw, out = work / "raw", work / "out"
    raw.mkdir(parents=True)
    samples = EncodeStage(OutputConfig()).process_batch(_samples(raw))
    overrides = {"quality.categories.upper.mask.max_area_ratio": str(MAX_AREA_RATIO)}
    write_test_manifest(out, [write_chunk(out, "train", 0, samples)], load_recipe("offline", overrides))
    files = write_report(out, raw)

    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=list(FLAGS))
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(files.html.resolve().as_uri())
        page.wait_for_selector("#grid .tile")
        page.screenshot(path=str(target))
        browser.close()
    print(f"wrote {target} from {files.html}")


if __name__ == "__main__":
    main()
