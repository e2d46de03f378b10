"""IngestStage: read each input file and store its normalised person image on the sample.

The first stage of every pipeline. Reading goes through
:func:`vtondata.ingest.files.read_input` (regular files only, never blocking,
bounded by ``max_file_bytes``) and everything about the content is
:func:`vtondata.ingest.decode.decode_person`. The bytes read are hashed: a
file whose content changed since the scan is rejected ``ingest.changed`` (the
scan's duplicate checks and the plan's input hash saw other bytes), and
``source_sha256`` is always the hash of the bytes the stored image came from.
"""

from __future__ import annotations

from typing import ClassVar

from vtondata.config.ingest import IngestConfig
from vtondata.ingest.decode import decode_person
from vtondata.ingest.files import read_input
from vtondata.sample import Rejection, Sample
from vtondata.stages.base import Resources, Stage


class IngestStage(Stage):
    """Fills ``person_jpg``, ``image_size``, ``meta["ingest"]`` and ``ingest.*`` statistics.

    Statistics: ``ingest.orig_width_px`` / ``ingest.orig_height_px`` (as stored
    in the file), ``ingest.file_bytes``, ``ingest.scale`` (stored px per upright
    px) and ``ingest.reencoded`` (1.0 when the stored JPEG is not the original bytes).
    """

    name: ClassVar[str] = "ingest"
    resources = Resources(num_cpus=1, batch_size=8, stateful=False)

    def __init__(self, config: IngestConfig) -> None:
        self.config = config

    def process_sample(self, sample: Sample) -> None:
        read = read_input(sample.source_abs, self.config.max_file_bytes)
        if isinstance(read, Rejection):
            sample.reject(read.code, f"{sample.source_path}: {read.message}")
            return
        data, scanned_sha256 = read.data, sample.source_sha256
        sample.source_sha256 = read.sha256
        if scanned_sha256 is not None and scanned_sha256 != read.sha256:
            sample.reject(
                "ingest.changed",
                f"the file changed after the scan (sha256 {scanned_sha256[:12]}... then, "
                f"{read.sha256[:12]}... now); re-run the build to take the new content",
            )
            return
        decoded = decode_person(data, self.config)
        if isinstance(decoded, Rejection):
            sample.reject(decoded.code, decoded.message)
            return
        sample.person_jpg = decoded.image_bytes
        sample.image_size = decoded.size_wh
        sample.meta["ingest"] = decoded.meta
        width, height = decoded.meta["orig_size_wh"]
        sample.stats.update(
            {
                "ingest.orig_width_px": float(width),
                "ingest.orig_height_px": float(height),
                "ingest.file_bytes": float(len(data)),
                "ingest.scale": float(decoded.meta["scale"]),
                "ingest.reencoded": float(decoded.meta["reencoded"]),
            }
        )
