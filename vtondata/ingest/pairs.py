"""Pair person photos with garment photos, and keep garment photos out of the person inputs.

Two ways, chosen by ``cloth.pairing.mode`` (docs/ingest.md):

- a **pairs file** (VITON-HD's ``test_pairs.txt`` format): one ``person garment``
  per line, ``#`` comments and blank lines ignored. A person is matched by its
  path relative to the raw folder, else by a unique file name; a garment is
  looked for relative to the raw folder, the pairs file's folder, the person's
  folder, a ``cloth/`` sibling of the person's folder and ``cloth/`` under the
  raw folder.
- **naming rules**: ``<stem>_cloth.<ext>`` beside the person photo, else
  ``cloth/<stem>.<ext>`` in a sibling of the person's folder (``image/`` and
  ``cloth/``) or in a subfolder of it.

Every garment path, from a pairs file or a naming rule, must lie inside the
raw folder (checked on the normalised path: no ``..`` escape, no absolute
path); a pairs file naming a garment outside it leaves that person
``cloth.missing_file`` with the reason. A malformed pairs file stops the
build with an :class:`~vtondata.errors.InputError` naming the line.

Files that are garments by these rules (named ``*_cloth``, under a ``cloth/``
folder, listed as a garment, or under an ignored folder such as
``cloth-mask/``) are never person inputs, paired or not.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from vtondata.config.cloth import PairingConfig
from vtondata.errors import InputError

GARMENT_EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp")
"""Extensions tried for a garment found by a naming rule (the person's own extension first)."""


@dataclass(frozen=True)
class Pairing:
    """The garment of each paired person, and what could not be paired.

    Keys are person paths relative to the raw folder (POSIX); garment paths
    are absolute. ``missing`` maps a person to why its listed garment was not
    found (the sample is rejected ``cloth.missing_file``).
    """

    garment_by_person: dict[str, Path] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)
    garments: frozenset[str] = frozenset()
    """Relative paths of files that are garments, not persons."""


def is_garment_path(relative: str, config: PairingConfig) -> bool:
    """Whether a file under the raw folder is a garment (or garment mask) by name alone."""
    if config.mode == "off":
        return False
    path = PurePosixPath(relative)
    folders = set(path.parts[:-1])
    in_garment_folder = bool(folders & {config.folder, *config.ignore_folders})
    return in_garment_folder or path.stem.endswith(config.suffix)


def pair_garments(raw: Path, relative_paths: list[str], config: PairingConfig) -> Pairing:
    """Pair every non-garment path in ``relative_paths`` (files found under ``raw``) with its garment."""
    if config.mode == "off":
        return Pairing()
    by_name_garments = frozenset(path for path in relative_paths if is_garment_path(path, config))
    persons = [path for path in relative_paths if path not in by_name_garments]
    pairs_file = _pairs_file(raw, config)
    if config.mode == "pairs_file" or (config.mode == "auto" and pairs_file.is_file()):
        if not pairs_file.is_file():
            raise InputError(f"cloth.pairing.mode is 'pairs_file' but {pairs_file} does not exist")
        pairing = _from_pairs_file(raw, pairs_file, persons, config)
    else:
        pairing = _from_names(raw, persons, config)
    garments = by_name_garments | {
        path for path in relative_paths if (raw / path).absolute() in set(pairing.garment_by_person.values())
    }
    return Pairing(
        garment_by_person={p: g for p, g in pairing.garment_by_person.items() if p not in garments},
        missing=pairing.missing,
        garments=frozenset(garments),
    )


def _pairs_file(raw: Path, config: PairingConfig) -> Path:
    path = Path(config.pairs_file).expanduser()
    return path if path.is_absolute() else raw / path


def _from_pairs_file(raw: Path, pairs_file: Path, persons: list[str], config: PairingConfig) -> Pairing:
    by_path = set(persons)
    by_name: dict[str, list[str]] = {}
    for person in persons:
        by_name.setdefault(PurePosixPath(person).name, []).append(person)
    garment_by_person: dict[str, Path] = {}
    missing: dict[str, str] = {}
    for number, line in enumerate(_pairs_lines(pairs_file), start=1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        fields = text.split()
        if len(fields) != 2:
            raise InputError(
                f"{pairs_file}:{number}: expected 'person garment' (two names separated by spaces), "
                f"got {line[:200]!r}; fix or comment out (#) that line"
            )
        person_name, garment_name = fields
        by_file_name = by_name.get(PurePosixPath(person_name).name, [])
        matches = [person_name] if person_name in by_path else by_file_name
        if len(matches) != 1:
            continue
        person = matches[0]
        if not _stays_inside(raw, raw / garment_name):
            missing[person] = (
                f"{pairs_file.name}:{number} names garment {garment_name}, which is outside the raw "
                "folder; garment paths must stay inside it"
            )
            continue
        found = _first_file(_pairs_candidates(raw, pairs_file, person, garment_name, config))
        if found is None:
            missing[person] = f"{pairs_file.name}:{number} names garment {garment_name}, which was not found"
        else:
            garment_by_person[person] = found
    return Pairing(garment_by_person=garment_by_person, missing=missing)


def _pairs_lines(pairs_file: Path) -> list[str]:
    try:
        return pairs_file.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as error:
        raise InputError(f"{pairs_file} is not UTF-8 text (byte {error.start}); save it as UTF-8") from error
    except OSError as error:
        raise InputError(f"cannot read {pairs_file}: {error.strerror}") from error


def _pairs_candidates(
    raw: Path, pairs_file: Path, person: str, garment: str, config: PairingConfig
) -> list[Path]:
    """Where a listed garment may be; only places inside the raw folder count."""
    person_dir = (raw / person).parent
    candidates = [
        raw / garment,
        pairs_file.parent / garment,
        person_dir / garment,
        person_dir.parent / config.folder / garment,
        raw / config.folder / garment,
    ]
    return [candidate for candidate in candidates if _stays_inside(raw, candidate)]


def _stays_inside(raw: Path, candidate: Path) -> bool:
    """Whether ``candidate``, normalised (``..`` resolved lexically), lies inside ``raw``."""
    root = os.path.join(os.path.normpath(raw.absolute()), "")
    return os.path.normpath(candidate.absolute()).startswith(root)


def _from_names(raw: Path, persons: list[str], config: PairingConfig) -> Pairing:
    garment_by_person: dict[str, Path] = {}
    for person in persons:
        path = raw / person
        stems = [
            path.parent / f"{path.stem}{config.suffix}",
            path.parent.parent / config.folder / path.stem,
            path.parent / config.folder / path.stem,
        ]
        extensions = dict.fromkeys((path.suffix, *GARMENT_EXTENSIONS))
        candidates = [stem.parent / (stem.name + ext) for stem in stems for ext in extensions]
        found = _first_file([candidate for candidate in candidates if _stays_inside(raw, candidate)])
        if found is not None:
            garment_by_person[person] = found
    return Pairing(garment_by_person=garment_by_person)


def _first_file(candidates: list[Path]) -> Path | None:
    """The first candidate that is a file; a name the file system refuses (too long, ...) is not one."""
    for candidate in candidates:
        try:
            if candidate.is_file():
                return candidate.absolute()
        except (OSError, ValueError):
            continue
    return None
