"""IngestStage: read each input file and store its normalised person image on the sample.

The first stage of every pipeline. It adds no rule of its own: reading is
bounded by ``max_file_bytes`` (so a file that grew since the scan cannot
exhaust memory) and everything about the content is
:func:`vtondata.ingest.decode.decode_person`.
"""

from __future__ import annotations

from typing import ClassVar

from vtondata.config.ingest import IngestConfig
from vtondata.ingest.decode import decode_person
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
        try:
            with open(sample.source_abs, "rb") as handle:
                data = handle.read(self.config.max_file_bytes + 1)
        except OSError as error:
            sample.reject("ingest.unreadable", f"cannot read {sample.source_path}: {error.strerror}")
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
