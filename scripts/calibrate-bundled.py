"""Recalibrate the quality thresholds of the bundled offline recipes on the shared reference photos.

For each recipe (default: offline, offline-yolo) and each category with enough
reference photos (upper, lower), writes the reference set of
tests/filters/reference_set.py (every shared photo whose garment of that
category is visible, as shared, mirrored and re-cropped) into a temporary
folder, runs `vtondata calibrate` on it with the recipe's own enabled checks,
and replaces the `quality:` block of pipelines/<recipe>.yaml with the result;
every other section of the file is left as it is. Run it after a change to
the stages or the statistics, then run tests/stages/test_quality_budget.py.

usage: VTONDATA_SHARED=../shared python scripts/calibrate-bundled.py [RECIPE...]
"""

import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.filters.reference_set import VARIANTS, reference_photos, write_reference_set  # noqa: E402
from vtondata.calibrate import calibrate  # noqa: E402
from vtondata.config import load_recipe  # noqa: E402

CATEGORIES = ("upper", "lower")
"""Dress has one reference photo (three with its variants), under the minimum support: it uses the shared
blocks, which calibrate sets to the loosest of the calibrated categories."""


def calibrated_quality(name: str) -> dict:
    recipe = load_recipe(ROOT / "pipelines" / f"{name}.yaml")
    with tempfile.TemporaryDirectory(prefix="vtondata-references-") as folder:
        for category in CATEGORIES:
            reference = Path(folder) / category
            for variant in VARIANTS:
                write_reference_set(reference / variant.name, category, variant)
            result = calibrate([reference], recipe, category)
            refused = [entry.field for entry in result.support if entry.value is None]
            print(f"{name} {category}: {result.accepted} of {result.photos} photos; not written: {refused}")
            recipe = result.recipe
    photos = {category: len(reference_photos(category)) for category in CATEGORIES}
    quality = recipe.quality.model_dump(mode="json", exclude_none=True)
    return _described(quality, folder, photos)


def _described(value: object, folder: str, photos: dict[str, int]) -> object:
    """Provenance that names the reference set instead of the temporary folder it was written to."""
    if isinstance(value, dict):
        return {key: _described(item, folder, photos) for key, item in value.items()}
    if isinstance(value, str):
        for category, count in photos.items():
            temporary = "/".join(Path(folder, category).resolve().parts[-3:])
            value = value.replace(
                f"{temporary} (",
                f"the shared reference photos of category {category} (tests/filters/reference_set.py: "
                f"{count} photos, each as shared, mirrored and re-cropped = ",
            )
    return value


def main() -> None:
    for name in sys.argv[1:] or ["offline", "offline-yolo"]:
        path = ROOT / "pipelines" / f"{name}.yaml"
        text = path.read_text(encoding="utf-8")
        start, end = text.index("quality:\n"), text.index("\noutput:\n")
        block = yaml.safe_dump({"quality": calibrated_quality(name)}, sort_keys=False, width=100)
        path.write_text(text[:start] + block.rstrip("\n") + text[end:], encoding="utf-8")
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
