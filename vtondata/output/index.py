"""The index: one parquet row per input sample, accepted and rejected alike.

Every chunk's ``index/{split}-{chunk:06d}.parquet`` has the same schema,
:data:`INDEX_SCHEMA`, so the files concatenate into one table without
casting. Rejected rows carry their reason; accepted rows name the shard that
holds them. Statistics and timings are ``map<string, double>`` columns (keys
``"<stage>.<name>"`` and stage names), because the set of statistics depends
on the recipe; :func:`stats_frame` flattens them into one column each.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from vtondata.output.layout import INDEX_DIR, atomic_path, completed_stems
from vtondata.sample import ALL_CATEGORIES, Category, Sample

INDEX_SCHEMA = pa.schema(
    [
        pa.field("key", pa.string(), nullable=False),
        pa.field("index", pa.int64(), nullable=False),
        pa.field("chunk", pa.int32(), nullable=False),
        pa.field("source_path", pa.string(), nullable=False),
        pa.field("category", pa.string(), nullable=False),
        pa.field("accepted", pa.bool_(), nullable=False),
        pa.field("reason_code", pa.string()),
        pa.field("reason_message", pa.string()),
        pa.field("shard", pa.string()),
        pa.field("source_sha256", pa.string()),
        pa.field("width_px", pa.int32()),
        pa.field("height_px", pa.int32()),
        pa.field("stats", pa.map_(pa.string(), pa.float64())),
        pa.field("timings_s", pa.map_(pa.string(), pa.float64())),
    ]
)
"""Columns of every index file. ``reason_*`` are null for accepted rows, ``shard`` for rejected ones."""

ALL_CATEGORY_INDEX_SCHEMA = pa.schema(
    [
        *INDEX_SCHEMA,
        *(
            field
            for category in Category
            for field in (
                pa.field(f"accepted_{category}", pa.bool_(), nullable=False),
                pa.field(f"reason_code_{category}", pa.string()),
                pa.field(f"reason_message_{category}", pa.string()),
            )
        ),
    ]
)
"""Columns of an all-category build's index: :data:`INDEX_SCHEMA` plus each category's verdict.

``accepted`` is true when the photo was accepted for at least one category;
``accepted_<category>`` says for which, ``reason_code_<category>`` why not.
Statistics of one category are named ``"<category>:<stage>.<name>"``.
"""


def index_table(samples: list[Sample], shard: str) -> pa.Table:
    """Rows for ``samples`` sorted by input index; ``shard`` is the accepted rows' shard path."""
    ordered = sorted(samples, key=lambda sample: sample.index)
    all_categories = any(sample.category == ALL_CATEGORIES for sample in ordered)
    rows = [{**_row(sample, shard), **(_verdicts(sample) if all_categories else {})} for sample in ordered]
    return pa.Table.from_pylist(rows, schema=ALL_CATEGORY_INDEX_SCHEMA if all_categories else INDEX_SCHEMA)


def _verdicts(sample: Sample) -> dict[str, object]:
    """An all-category row's per-category columns; a category with no verdict shares the sample's."""
    columns: dict[str, object] = {}
    for category in Category:
        rejection = sample.verdicts.get(category, sample.rejection)
        columns[f"accepted_{category}"] = rejection is None
        columns[f"reason_code_{category}"] = rejection.code if rejection is not None else None
        columns[f"reason_message_{category}"] = rejection.message if rejection is not None else None
    return columns


def _row(sample: Sample, shard: str) -> dict[str, object]:
    width_px, height_px = sample.image_size if sample.image_size is not None else (None, None)
    rejection = sample.rejection
    return {
        "key": sample.key,
        "index": sample.index,
        "chunk": sample.chunk,
        "source_path": sample.source_path,
        "category": str(sample.category),
        "accepted": rejection is None,
        "reason_code": rejection.code if rejection is not None else None,
        "reason_message": rejection.message if rejection is not None else None,
        "shard": shard if rejection is None else None,
        "source_sha256": sample.source_sha256,
        "width_px": width_px,
        "height_px": height_px,
        "stats": sorted((name, float(value)) for name, value in sample.stats.items()),
        "timings_s": sorted((name, float(value)) for name, value in sample.timings_s.items()),
    }


def write_index(path: Path, samples: list[Sample], shard: str) -> None:
    """Write the index file of one chunk atomically (see ``layout.atomic_path``)."""
    table = index_table(samples, shard)
    with atomic_path(path) as temporary:
        pq.write_table(table, temporary)


def read_index(out: Path) -> pa.Table:
    """Rows of every complete chunk of ``OUT`` (marker present), ordered by input index.

    Index files of unfinished chunks are left out: their shard may be missing
    or partial, and a resumed run rewrites them.
    """
    paths = [out / INDEX_DIR / f"{stem}.parquet" for stem in completed_stems(out)]
    paths = [path for path in paths if path.is_file()]
    schema = _schema_of(paths)
    tables = [pq.read_table(path, schema=schema) for path in paths]
    if not tables:
        return schema.empty_table()
    return pa.concat_tables(tables).sort_by("index")


def _schema_of(paths: list[Path]) -> pa.Schema:
    """The all-category schema when the first file has its columns, else the single-category one."""
    if paths and "accepted_upper" in pq.read_schema(paths[0]).names:
        return ALL_CATEGORY_INDEX_SCHEMA
    return INDEX_SCHEMA


def stats_frame(out: Path) -> pd.DataFrame:
    """One row per input, identity columns plus one column per statistic and per stage timing.

    Statistic columns keep their names (``"pose.conf_min"``; an all-category
    build's ``"lower:mask.area"``); timing columns are ``"timings_s.<stage>"``.
    A statistic a sample does not have is NaN.
    """
    return table_frame(read_index(out))


def table_frame(table: pa.Table) -> pd.DataFrame:
    """:func:`stats_frame` of an index table already read (or a view of one)."""
    identity = ["key", "index", "chunk", "category", "accepted", "reason_code"]
    frame = table.select(identity).to_pandas()
    stats = pd.DataFrame([dict(pairs) for pairs in table.column("stats").to_pylist()], index=frame.index)
    timings = pd.DataFrame(
        [dict(pairs) for pairs in table.column("timings_s").to_pylist()], index=frame.index
    )
    timings.columns = [f"timings_s.{name}" for name in timings.columns]
    return pd.concat([frame, stats.sort_index(axis=1), timings.sort_index(axis=1)], axis=1)
