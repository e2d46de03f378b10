"""``OUT/croissant.json``: the dataset described in MLCommons Croissant 1.0, for dataset search and loaders.

Croissant is the JSON-LD vocabulary that the Hugging Face Hub, Kaggle and
OpenML publish and that ``mlcroissant`` and TFDS read. The document names
every shard (a tar, with its sha256 and size) and the index parquet files,
and defines two record sets:

- ``index``: one record per input photo, accepted and rejected, read from the
  columns of ``index/*.parquet`` (key, source path, category, verdict, reason,
  shard, image size);
- ``person``, ``agnostic_mask``, ``agnostic``, ``pose``: one record per accepted
  sample each, read from the tar members (``<key>.person.jpg``, ...), keyed by
  the sample key taken from the member's name (the same key as in ``index``).

Paths are relative to ``OUT``, so the folder can be moved or uploaded whole.
The licence is left out: vtondata does not know the photos' licence, and a
user publishing the dataset adds it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from vtondata.output import reader
from vtondata.output.format import PER_CATEGORY_MEMBERS, UNION_NAME, category_member, json_bytes
from vtondata.output.layout import INDEX_DIR, croissant_path, write_bytes_atomic
from vtondata.sample import ALL_CATEGORIES, Category

CONFORMS_TO = "http://mlcommons.org/croissant/1.0"

CONTEXT: dict[str, Any] = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/",
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract",
    "field": "cr:field",
    "fileProperty": "cr:fileProperty",
    "fileObject": "cr:fileObject",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "parentField": "cr:parentField",
    "path": "cr:path",
    "recordSet": "cr:recordSet",
    "references": "cr:references",
    "regex": "cr:regex",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "sc": "https://schema.org/",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
    "equivalentProperty": "cr:equivalentProperty",
    "samplingRate": "cr:samplingRate",
}
"""The JSON-LD context of Croissant 1.0 as its examples and ``mlcroissant`` write it."""

INDEX_FIELDS: list[tuple[str, str, str]] = [
    ("key", "sc:Text", "Sample key: input index and source stem; names the sample's tar members."),
    ("index", "sc:Integer", "Position of the photo among the sorted inputs."),
    ("source_path", "sc:Text", "Path of the photo relative to the input folder."),
    ("category", "sc:Text", "Garment category the mask was drawn for."),
    ("accepted", "sc:Boolean", "True when the sample is in a shard; false when it was rejected."),
    ("reason_code", "sc:Text", "Why it was rejected (stage.reason), empty when accepted."),
    ("reason_message", "sc:Text", "The rejection in words, empty when accepted."),
    ("shard", "sc:Text", "Shard holding an accepted sample, relative to the dataset folder."),
    ("width_px", "sc:Integer", "Width of person.jpg in pixels."),
    ("height_px", "sc:Integer", "Height of person.jpg in pixels."),
]
"""Index columns described in the ``index`` record set: (column, Croissant data type, meaning)."""

SAMPLE_MEMBERS: list[tuple[str, str, str, str]] = [
    ("person", "person.jpg", "sc:ImageObject", "The person photo."),
    ("agnostic_mask", "agnostic_mask.png", "sc:ImageObject", "Repaint mask: 255 = repaint, 0 = keep."),
    ("agnostic", "agnostic.jpg", "sc:ImageObject", "The photo with the repaint region greyed."),
    ("pose", "pose.json", "sc:Text", "Keypoints in pixels, canonical and OpenPose BODY_25, as JSON."),
]
"""Tar members with a record set each: (record set, member, data type, meaning)."""


def index_fields(category: str) -> list[tuple[str, str, str]]:
    """:data:`INDEX_FIELDS`, plus each category's verdict columns for an all-category build."""
    if category != ALL_CATEGORIES:
        return INDEX_FIELDS
    verdicts = [
        field
        for name in Category
        for field in (
            (f"accepted_{name}", "sc:Boolean", f"True when the photo was accepted for {name}."),
            (f"reason_code_{name}", "sc:Text", f"Why it was not accepted for {name}, empty when it was."),
        )
    ]
    return [*INDEX_FIELDS, *verdicts]


def sample_members(category: str) -> list[tuple[str, str, str, str]]:
    """:data:`SAMPLE_MEMBERS` of a dataset built for ``category``: an all-category build has a mask
    and a masked photo per category (present for the photos accepted for it) and the union's."""
    if category != ALL_CATEGORIES:
        return SAMPLE_MEMBERS
    shared = [member for member in SAMPLE_MEMBERS if member[1] not in PER_CATEGORY_MEMBERS]
    drawn = [
        (
            f"{record}_{name}",
            category_member(member, name),
            data_type,
            f"{meaning} For {name}; only photos accepted for it."
            if name != UNION_NAME
            else f"{meaning} Upper and lower joined; only photos accepted for both.",
        )
        for record, member, data_type, meaning in SAMPLE_MEMBERS
        if member in PER_CATEGORY_MEMBERS
        for name in (*Category, UNION_NAME)
    ]
    return [*shared, *drawn]


def croissant_document(out: Path) -> dict[str, Any]:
    """The Croissant 1.0 JSON-LD of the finished dataset ``out`` (read through its manifest and index)."""
    dataset = reader.open(out)
    manifest = dataset.manifest
    shards = [entry for entry in manifest["shards"] if entry["samples"] > 0]
    counts = manifest["counts"]
    recipe = manifest["recipe"]
    members = sample_members(manifest["category"])
    distribution: list[dict[str, Any]] = [
        {
            "@type": "cr:FileObject",
            "@id": entry["path"],
            "name": entry["path"],
            "description": f"WebDataset shard of {entry['samples']} accepted samples.",
            "contentUrl": entry["path"],
            "contentSize": f"{entry['bytes']} B",
            "encodingFormat": "application/x-tar",
            "sha256": entry["sha256"],
        }
        for entry in shards
    ]
    distribution.append(
        {
            "@type": "cr:FileSet",
            "@id": "index-files",
            "name": "index-files",
            "description": "One parquet file per chunk: a row per input photo, accepted or rejected.",
            "encodingFormat": "application/x-parquet",
            "includes": f"{INDEX_DIR}/*.parquet",
        }
    )
    distribution += [
        {
            "@type": "cr:FileSet",
            "@id": f"{member}-members",
            "name": f"{member}-members",
            "description": f"The {member} member of every sample in the shards.",
            "containedIn": [{"@id": entry["path"]} for entry in shards],
            "encodingFormat": _media_type(member),
            "includes": f"*.{member}",
        }
        for _, member, _, _ in members
    ]
    return {
        "@context": CONTEXT,
        "@type": "sc:Dataset",
        "conformsTo": CONFORMS_TO,
        "name": f"vtondata-{manifest['category']}",
        "description": (
            f"Virtual try-on training data for the {manifest['category']} category built by vtondata "
            f"{manifest['producer']['version']} with recipe {recipe['name']} (sha256 {recipe['sha256']}): "
            f"{counts['accepted']} accepted of {counts['inputs']} input photos, "
            f"{counts['rejected']} rejected with a reason each. Format: docs/format.md of vtondata, "
            f"schema version {manifest['schema_version']}."
        ),
        "version": manifest["schema_version"],
        "datePublished": manifest["created_utc"][:10],
        "keywords": ["virtual try-on", "inpainting mask", "pose", "WebDataset"],
        "distribution": distribution,
        "recordSet": [
            _index_record_set(index_fields(manifest["category"])),
            *(_member_record_set(*member) for member in members),
        ],
    }


def write_croissant(out: Path) -> Path:
    """Write ``OUT/croissant.json`` atomically; the path."""
    path = croissant_path(Path(out))
    write_bytes_atomic(path, json_bytes(croissant_document(Path(out)), indent=2) + b"\n")
    return path


def _index_record_set(fields: list[tuple[str, str, str]]) -> dict[str, Any]:
    return {
        "@type": "cr:RecordSet",
        "@id": "index",
        "name": "index",
        "description": "Every input photo with its verdict; rejected photos carry a reason code.",
        "key": {"@id": "index/key"},
        "field": [
            {
                "@type": "cr:Field",
                "@id": f"index/{column}",
                "name": column,
                "description": meaning,
                "dataType": data_type,
                "source": {"fileSet": {"@id": "index-files"}, "extract": {"column": column}},
            }
            for column, data_type, meaning in fields
        ],
    }


def _member_record_set(name: str, member: str, data_type: str, meaning: str) -> dict[str, Any]:
    """Records of one tar member kind: the sample key (from the member's name) and the content."""
    source = {"fileSet": {"@id": f"{member}-members"}}
    return {
        "@type": "cr:RecordSet",
        "@id": name,
        "name": name,
        "description": f"{meaning} One record per accepted sample, from the shards' {member} members.",
        "key": {"@id": f"{name}/key"},
        "field": [
            {
                "@type": "cr:Field",
                "@id": f"{name}/key",
                "name": "key",
                "description": "Sample key, the member name before its first dot; joins with index/key.",
                "dataType": "sc:Text",
                "source": {
                    **source,
                    "extract": {"fileProperty": "filename"},
                    "transform": {"regex": r"^([^.]+)\..*$"},
                },
            },
            {
                "@type": "cr:Field",
                "@id": f"{name}/content",
                "name": "content",
                "description": meaning,
                "dataType": data_type,
                "source": {**source, "extract": {"fileProperty": "content"}},
            },
        ],
    }


def _media_type(member: str) -> str:
    return {"jpg": "image/jpeg", "png": "image/png", "json": "application/json"}[member.rsplit(".", 1)[1]]
