"""Size and time of ``report.html`` for a large run made of real samples.

Usage: ``python bench/report_size.py BUILT_OUT RAW WORK [--inputs 10000] [--reasons 20]``.
``BUILT_OUT`` is a finished build (its accepted samples are the material; the
more different photos, the more honest the figure), ``RAW`` the folder it was
built from. The script writes a dataset of ``--inputs`` inputs under
``WORK/out`` through vtondata's own chunk writer: nine in ten accepted,
copies of the built samples (photo, mask, parse map, keypoints, statistics
jittered) scaled to 192x256 so that writing 10 000 of them takes a minute
rather than an hour (a thumbnail is 144x192 either way, so the page's bytes
hardly change); one in ten rejected over ``--reasons`` reason codes, with the
real photos as their sources in ``WORK/raw`` (hard links: ``WORK`` must be on
``RAW``'s file system). Then it writes the report and
prints a Markdown table: inputs, gallery tiles, HTML and image bytes, seconds.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import time
from pathlib import Path

import cv2
import numpy as np

import vtondata
from tests.output.synthetic import write_test_manifest
from vtondata.config import load_recipe
from vtondata.config.output import OutputConfig
from vtondata.output.format import decode_grey, decode_rgb
from vtondata.output.reader import read_members
from vtondata.output.shards import write_chunk
from vtondata.report import ReportLimits, write_report
from vtondata.sample import Category, Sample
from vtondata.stages.encode import EncodeStage

SIZE_WH = (192, 256)
CHUNK_SIZE = 100


def _materials(built: Path) -> list[dict]:
    """The built dataset's accepted samples, scaled to :data:`SIZE_WH`."""
    dataset = vtondata.open(built).accepted
    materials = []
    for row in dataset.table.to_pylist():
        files = read_members(built / row["shard"], [row["key"]])[row["key"]]
        person = decode_rgb(files["person.jpg"])
        scale = np.array([SIZE_WH[0] / person.shape[1], SIZE_WH[1] / person.shape[0], 1.0])
        small = cv2.resize(person, SIZE_WH, interpolation=cv2.INTER_AREA)
        bgr = cv2.cvtColor(small, cv2.COLOR_RGB2BGR)
        ok, jpeg = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, 90])
        assert ok
        nearest = lambda array: cv2.resize(array, SIZE_WH, interpolation=cv2.INTER_NEAREST)  # noqa: E731
        keypoints = np.asarray(json.loads(files["pose.json"])["canonical"]["keypoints_px"], dtype=np.float32)
        materials.append(
            {
                "jpeg": jpeg.tobytes(),
                "mask": nearest(decode_grey(files["agnostic_mask.png"])) > 127,
                "parse": nearest(decode_grey(files["parse.png"])) if "parse.png" in files else None,
                "keypoints": (keypoints * scale).astype(np.float32),
                "stats": dict(row["stats"] or []),
                "source": row["source_path"],
            }
        )
    if not materials:
        raise SystemExit(f"{built} has no accepted sample to copy")
    return materials


def write_large_dataset(built: Path, raw: Path, work: Path, inputs: int, reasons: int) -> Path:
    """Write ``WORK/out`` (module docstring); returns it."""
    materials = _materials(built)
    out, work_raw = work / "out", work / "raw"
    shutil.rmtree(work, ignore_errors=True)
    work_raw.mkdir(parents=True)
    rng = np.random.default_rng(0)
    encode = EncodeStage(OutputConfig())
    category = Category(vtondata.open(built).manifest["category"])
    records = []
    for chunk in range(-(-inputs // CHUNK_SIZE)):
        samples = []
        for index in range(chunk * CHUNK_SIZE, min(inputs, (chunk + 1) * CHUNK_SIZE)):
            material = materials[index % len(materials)]
            name = f"person_{index:06d}{Path(material['source']).suffix}"
            (work_raw / name).hardlink_to(raw / material["source"])  # a symlink out of RAW shows no photo
            sample = Sample(
                key=f"{index:07d}_person_{index:06d}",
                index=index,
                source_path=name,
                category=category,
                chunk=chunk,
                source_sha256=f"{index:064x}",
                person_jpg=material["jpeg"],
                image_size=SIZE_WH,
                keypoints_px=material["keypoints"],
                agnostic_mask=material["mask"],
                parse_map=material["parse"],
                stats={k: v * float(rng.uniform(0.9, 1.1)) for k, v in material["stats"].items()},
                timings_s={"pose": float(rng.uniform(0.1, 0.3)), "mask": 0.004},
            )
            if index % 10 == 9:
                sample.reject(f"quality.reason_{(index // 10) % reasons:02d}", f"synthetic rejection {index}")
            samples.append(sample)
        records.append(write_chunk(out, "train", chunk, encode.process_batch(samples)))
    write_test_manifest(out, records, load_recipe("offline"))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("built", type=Path)
    parser.add_argument("raw", type=Path)
    parser.add_argument("work", type=Path)
    parser.add_argument("--inputs", type=int, default=10_000)
    parser.add_argument("--reasons", type=int, default=20)
    args = parser.parse_args()
    started = time.perf_counter()
    out = write_large_dataset(args.built, args.raw, args.work, args.inputs, args.reasons)
    written = time.perf_counter() - started
    started = time.perf_counter()
    files = write_report(out, args.work / "raw", ReportLimits())
    seconds = time.perf_counter() - started
    html = files.html.read_text(encoding="utf-8")
    images = re.findall(r'"(?:photo|mask|parse)":"(data:image/[a-z]+;base64,[^"]*)"', html)
    report = json.loads(files.json.read_text(encoding="utf-8"))
    print(f"dataset written in {written:.0f} s")
    print("| inputs | gallery tiles | report.html | of it images | report.json | leakage read | seconds |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    print(
        f"| {args.inputs:,} | {report['gallery']['shown']:,} | {len(html.encode()) / 1e6:.1f} MB "
        f"| {sum(map(len, images)) / 1e6:.1f} MB | {files.json.stat().st_size / 1e6:.1f} MB "
        f"| {report['form_leakage']['samples_read']:,} | {seconds:.0f} |"
    )


if __name__ == "__main__":
    main()
