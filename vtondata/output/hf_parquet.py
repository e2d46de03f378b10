"""``vtondata export OUT DEST --layout hf-parquet``: the dataset as the Hugging Face Hub shows it.

One parquet file per shard under ``DEST/data/{split}-{n:05d}-of-{total:05d}.parquet``
(the Hub's default file-name convention, so ``load_dataset`` finds the splits
without a loading script), plus a dataset card ``DEST/README.md``. Each row is
one accepted sample:

- its identity and index columns (``key``, ``index``, ``chunk``, ``source_path``,
  ``category``, ``source_sha256``, ``width_px``, ``height_px``, ``shard``) and one
  ``float64`` column per statistic the filters measured (``pose.conf_min``, ...);
- each image member as a ``{"bytes", "path"}`` struct, the encoding the Hub's
  viewer and ``datasets.Image`` read (``person``, ``agnostic_mask``, ``agnostic``,
  ``pose_image``, and ``garment_mask``, ``parse``, ``cloth``, ``cloth_mask`` when
  any sample has them), bytes exactly as in the shard;
- ``pose.json`` and ``meta.json`` as JSON strings (``pose``, ``meta``), because
  their nested shape depends on the recipe.

The ``datasets`` feature types ride in the parquet schema metadata (key
``huggingface``), so image columns decode to PIL images without the card.
Stage timings are left out: they are measurements of one machine, kept in
the index. Rejected inputs are not exported; their rows stay in ``OUT/index``.
The card's licence is ``unknown`` until the user, who knows the photos'
licence, sets it.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from vtondata.output import reader
from vtondata.output.layout import atomic_path, parse_chunk_stem, write_bytes_atomic

IMAGE_COLUMNS: dict[str, str] = {
    "person.jpg": "person",
    "agnostic_mask.png": "agnostic_mask",
    "agnostic.jpg": "agnostic",
    "pose.png": "pose_image",
    "garment_mask.png": "garment_mask",
    "parse.png": "parse",
    "cloth.jpg": "cloth",
    "cloth_mask.png": "cloth_mask",
}
"""Tar member -> image column; ``pose.png`` is ``pose_image`` so that ``pose`` can hold ``pose.json``."""

JSON_COLUMNS: dict[str, str] = {"pose.json": "pose", "meta.json": "meta"}

INDEX_COLUMNS: list[tuple[str, pa.DataType]] = [
    ("key", pa.string()),
    ("index", pa.int64()),
    ("chunk", pa.int32()),
    ("source_path", pa.string()),
    ("category", pa.string()),
    ("source_sha256", pa.string()),
    ("width_px", pa.int32()),
    ("height_px", pa.int32()),
    ("shard", pa.string()),
]

IMAGE_TYPE = pa.struct([pa.field("bytes", pa.binary()), pa.field("path", pa.string())])

DATA_DIR = "data"
CARD_NAME = "README.md"


def write_hf_parquet(out: Path, dest: Path, category: str | None = None) -> dict[str, int]:
    """Write the accepted samples of ``out`` into ``dest`` as parquet plus a card; samples per split.

    ``category`` picks one category of an all-category dataset (its verdicts, masks and statistics,
    as if built for it alone). ``dest`` and ``category`` are checked by the caller
    (:func:`vtondata.output.export.export_dataset`).
    """
    dataset = reader.open(out)
    if category is not None:
        dataset = dataset.for_category(category)
    accepted = dataset.accepted
    rows = accepted.table.select([name for name, _ in INDEX_COLUMNS]).to_pylist()
    stats = _stat_columns(accepted)
    by_shard: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_shard[row["shard"]].append(row)
    members = _members_present(out, by_shard, dataset.category)
    schema = _schema(members, list(stats))
    shards_by_split: dict[str, list[str]] = defaultdict(list)
    for shard in sorted(by_shard):
        shards_by_split[_split_of(shard)].append(shard)
    counts: dict[str, int] = {}
    for split, shards in sorted(shards_by_split.items()):
        for number, shard in enumerate(shards):
            table = _shard_table(out, by_shard[shard], members, stats, schema, dataset.category)
            name = f"{split}-{number:05d}-of-{len(shards):05d}.parquet"
            _write_parquet(dest / DATA_DIR / name, table)
        counts[split] = sum(len(by_shard[shard]) for shard in shards)
    exported = {**dataset.manifest, "category": dataset.category or dataset.manifest["category"]}
    card = dataset_card(exported, schema, counts)
    write_bytes_atomic(dest / CARD_NAME, card.encode("utf-8"))
    return counts


def _split_of(shard: str) -> str:
    parsed = parse_chunk_stem(Path(shard).stem)
    return parsed[0] if parsed is not None else "train"


def _stat_columns(accepted: reader.Dataset) -> dict[str, dict[str, float]]:
    """Statistic name -> {key: value}, over the accepted rows; names sorted."""
    values: dict[str, dict[str, float]] = defaultdict(dict)
    for row in accepted.table.select(["key", "stats"]).to_pylist():
        for name, value in row["stats"] or []:
            values[name][row["key"]] = value
    return dict(sorted(values.items()))


def _members_present(out: Path, by_shard: dict[str, list[dict[str, Any]]], category: str | None) -> list[str]:
    """Image members that at least one sample has, in :data:`IMAGE_COLUMNS` order (one pass per shard)."""
    seen: set[str] = set()
    for shard, rows in by_shard.items():
        for files in reader.read_members(out / shard, [row["key"] for row in rows], category).values():
            seen.update(files)
    return [member for member in IMAGE_COLUMNS if member in seen]


def _schema(members: list[str], stats: list[str]) -> pa.Schema:
    fields = [pa.field(name, kind) for name, kind in INDEX_COLUMNS]
    fields += [pa.field(IMAGE_COLUMNS[member], IMAGE_TYPE) for member in members]
    fields += [pa.field(column, pa.string()) for column in JSON_COLUMNS.values()]
    fields += [pa.field(name, pa.float64()) for name in stats]
    schema = pa.schema(fields)
    features = {field.name: _feature(field) for field in schema}
    return schema.with_metadata({"huggingface": json.dumps({"info": {"features": features}})})


def _feature(field: pa.Field) -> dict[str, str]:
    """The ``datasets`` feature of a column, as ``Features.to_dict`` writes it."""
    if field.type == IMAGE_TYPE:
        return {"_type": "Image"}
    return {"dtype": _dtype(field.type), "_type": "Value"}


def _dtype(kind: pa.DataType) -> str:
    return {pa.string(): "string", pa.int64(): "int64", pa.int32(): "int32", pa.float64(): "float64"}[kind]


def _shard_table(
    out: Path,
    rows: list[dict[str, Any]],
    members: list[str],
    stats: dict[str, dict[str, float]],
    schema: pa.Schema,
    category: str | None,
) -> pa.Table:
    files = reader.read_members(out / rows[0]["shard"], [row["key"] for row in rows], category)
    records = []
    for row in rows:
        sample = files[row["key"]]
        record = dict(row)
        for member in members:
            data = sample.get(member)
            record[IMAGE_COLUMNS[member]] = (
                {"bytes": data, "path": f"{row['key']}.{member}"} if data is not None else None
            )
        for member, column in JSON_COLUMNS.items():
            record[column] = sample[member].decode("utf-8")
        for name, by_key in stats.items():
            record[name] = by_key.get(row["key"])
        records.append(record)
    return pa.Table.from_pylist(records, schema=schema)


def dataset_card(manifest: dict[str, Any], schema: pa.Schema, counts: dict[str, int]) -> str:
    """``README.md``: YAML front matter the Hub reads (features, splits, files) and a short body."""
    features = json.loads(schema.metadata[b"huggingface"])["info"]["features"]
    recipe = manifest["recipe"]
    front = {
        "license": "unknown",
        "pretty_name": f"vtondata {manifest['category']} try-on dataset",
        "tags": ["virtual-try-on", "vtondata", manifest["category"]],
        "task_categories": ["image-to-image"],
        "dataset_info": {
            "features": [
                {"name": name, "dtype": "image" if spec["_type"] == "Image" else spec["dtype"]}
                for name, spec in features.items()
            ],
            "splits": [{"name": split, "num_examples": count} for split, count in counts.items()],
        },
        "configs": [
            {
                "config_name": "default",
                "data_files": [{"split": split, "path": f"{DATA_DIR}/{split}-*"} for split in counts],
            }
        ],
        "vtondata": {
            "schema_version": manifest["schema_version"],
            "producer_version": manifest["producer"]["version"],
            "recipe": {"name": recipe["name"], "sha256": recipe["sha256"]},
            "category": manifest["category"],
            "counts": manifest["counts"],
        },
    }
    counts_manifest = manifest["counts"]
    reasons = "\n".join(f"| `{code}` | {count} |" for code, count in counts_manifest["by_reason"].items())
    resolved = yaml.safe_dump(recipe["resolved"], sort_keys=False)
    return (
        "---\n"
        "# license: set it to the licence of the source photos (a Hub licence id); vtondata cannot know it\n"
        f"{yaml.safe_dump(front, sort_keys=False)}"
        "---\n\n"
        f"# vtondata {manifest['category']} try-on dataset\n\n"
        f"Built by vtondata {manifest['producer']['version']} with recipe `{recipe['name']}` "
        f"(sha256 `{recipe['sha256']}`). Of {counts_manifest['inputs']} input photos, "
        f"{counts_manifest['accepted']} were accepted and {counts_manifest['rejected']} rejected.\n\n"
        "| rejection reason | photos |\n| --- | --- |\n"
        f"{reasons or '| (none) | 0 |'}\n\n"
        "Columns: `person` is the photo; `agnostic_mask` is 255 where a try-on model repaints; "
        "`agnostic` is the photo with the mask greyed; `pose_image` the skeleton; `pose` and `meta` are "
        "the JSON documents of vtondata's format (docs/format.md); every other float column is a "
        "quality statistic.\n\n"
        "```python\nimport datasets\n"
        'dataset = datasets.load_dataset("parquet", data_dir="data")\n```\n\n'
        "<details><summary>Resolved recipe</summary>\n\n"
        f"```yaml\n{resolved}```\n\n</details>\n"
    )


def _write_parquet(path: Path, table: pa.Table) -> None:
    with atomic_path(path) as temporary:
        pq.write_table(table, temporary)
