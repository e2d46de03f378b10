"""Typed recipes: YAML in ``pipelines/`` validated once into :class:`Recipe`.

``load_recipe`` is the one path for files, CLI overrides and notebooks: resolve
a bundled name or a path, ``yaml.safe_load``, apply dotted overrides to the
plain dict, then validate. Validation errors are rewritten as one
``section.field: message`` line each, with a close-match hint for unknown keys.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, Field, ValidationError, model_validator

from vtondata.config.base import RecipeModel
from vtondata.config.cloth import ClothConfig
from vtondata.config.ingest import IngestConfig
from vtondata.config.mask import MaskConfig
from vtondata.config.output import OutputConfig
from vtondata.config.pose import PoseConfig
from vtondata.config.quality import QualityConfig
from vtondata.config.runner import RunnerConfig
from vtondata.config.segment import SegmentConfig
from vtondata.errors import RecipeError

RECIPE_SCHEMA_VERSION = "1.0.0"
ModelT = TypeVar("ModelT", bound=BaseModel)

__all__ = [
    "RECIPE_SCHEMA_VERSION",
    "Recipe",
    "bundled_recipes",
    "load_recipe",
    "load_yaml_model",
    "recipe_json_schema",
    "recipe_sha256",
]


class Recipe(RecipeModel):
    """A whole pipeline: one section per stage in data-flow order, then output and runner."""

    schema_version: str = Field(default=RECIPE_SCHEMA_VERSION, description="Recipe format version (semver).")
    name: str = Field(description="Short recipe name, recorded in the manifest.")
    description: str = Field(default="", description="What this recipe is for.")
    ingest: IngestConfig = Field(default_factory=IngestConfig)
    cloth: ClothConfig = Field(
        default_factory=ClothConfig, description="Garment photos: pairing, mask, placement and checks."
    )
    pose: PoseConfig = Field(description="Pose backend and its options.")
    segment: SegmentConfig = Field(description="Segmentation backend and its options.")
    mask: MaskConfig = Field(default_factory=MaskConfig)
    quality: QualityConfig = Field(
        default_factory=QualityConfig, description="Quality thresholds per filter family, with provenance."
    )
    output: OutputConfig = Field(default_factory=OutputConfig)
    runner: RunnerConfig = Field(default_factory=RunnerConfig)

    @model_validator(mode="after")
    def _landmarks_need_holistic(self) -> Recipe:
        """The ``landmarks`` segment backend draws on landmark sets only Holistic gives."""
        if self.segment.backend == "landmarks" and self.pose.backend != "holistic":
            raise ValueError(
                f"segment backend 'landmarks' needs pose backend 'holistic' (got {self.pose.backend!r})"
            )
        return self


def pipelines_dir() -> Path:
    """Where bundled recipes live: inside the wheel, or at the source tree's top level."""
    packaged = Path(__file__).resolve().parent.parent / "pipelines"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "pipelines"


def bundled_recipes() -> list[str]:
    return sorted(path.stem for path in pipelines_dir().glob("*.yaml"))


def load_recipe(name_or_path: str | Path, overrides: dict[str, Any] | None = None) -> Recipe:
    """Load a bundled recipe by name (``"offline"``) or a YAML file by path.

    ``overrides`` maps dotted keys to values (``{"output.chunk_size": 16}``);
    string values are parsed as YAML scalars, as they come from ``--set``.
    """
    return load_yaml_model(_resolve_recipe_path(name_or_path), Recipe, overrides)


def load_yaml_model(
    path: Path, model: type[ModelT], overrides: dict[str, Any] | None = None, what: str = "recipe"
) -> ModelT:
    """Read a YAML mapping, apply dotted overrides to the plain dict, validate it once into ``model``.

    The one loading path of build and train recipes: errors come back as a
    :class:`RecipeError` with one ``section.field: message`` line each.
    """
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise RecipeError(f"{path}: not valid YAML: {error}") from error
    if not isinstance(raw, dict):
        raise RecipeError(f"{path}: a {what} must be a mapping of sections")
    for dotted, value in (overrides or {}).items():
        _apply_override(raw, dotted, value)
    try:
        return model.model_validate(raw)
    except ValidationError as error:
        raise RecipeError(f"{path}: invalid {what}\n" + _explain(error, raw, model)) from error


def recipe_sha256(recipe: Recipe) -> str:
    """Hash of the resolved recipe, stable across key order and YAML formatting."""
    canonical = json.dumps(recipe.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def recipe_json_schema() -> dict[str, Any]:
    """JSON Schema of a recipe file, generated from the models (schemas/pipeline.schema.json)."""
    schema = Recipe.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://vtondata.dev/schemas/pipeline.schema.json"
    return schema


def _resolve_recipe_path(name_or_path: str | Path) -> Path:
    candidate = Path(name_or_path)
    if candidate.suffix in {".yaml", ".yml"} or candidate.exists():
        if not candidate.is_file():
            raise RecipeError(f"recipe file not found: {candidate}")
        return candidate
    bundled = pipelines_dir() / f"{name_or_path}.yaml"
    if bundled.is_file():
        return bundled
    names = bundled_recipes()
    hint = difflib.get_close_matches(str(name_or_path), names, n=1)
    suggestion = f" (did you mean '{hint[0]}'?)" if hint else ""
    raise RecipeError(
        f"unknown recipe '{name_or_path}'{suggestion}; bundled recipes: {', '.join(names)}; "
        "or pass a path to a .yaml file"
    )


def _apply_override(raw: dict[str, Any], dotted: str, value: Any) -> None:
    parts = dotted.split(".")
    node = raw
    for part in parts[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise RecipeError(f"override {dotted}: '{part}' is not a section")
        node = child
    if not isinstance(value, str):
        node[parts[-1]] = value
        return
    try:
        node[parts[-1]] = yaml.safe_load(value)
    except yaml.YAMLError as error:
        first_line = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise RecipeError(f"override {dotted}: value {value!r} is not valid YAML ({first_line})") from error


def _explain(error: ValidationError, raw: dict[str, Any], root: type[BaseModel]) -> str:
    lines = []
    for item in error.errors():
        loc = _without_union_tags(raw, item["loc"])
        message = item["msg"]
        if item["type"] == "extra_forbidden":
            message = "unknown key" + _close_key_hint(raw, loc, root)
        lines.append(f"  {'.'.join(str(part) for part in loc) or '(top level)'}: {message}")
    return "\n".join(lines)


def _without_union_tags(raw: dict[str, Any], loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """Drop the discriminator values pydantic inserts into error locations (``pose.yolo.x``)."""
    kept: list[Any] = []
    node: Any = raw
    for part in loc:
        if isinstance(node, dict) and part not in node and node.get("backend") == part:
            continue
        kept.append(part)
        node = node.get(part) if isinstance(node, dict) else None
    return tuple(kept)


def _close_key_hint(raw: dict[str, Any], loc: tuple[Any, ...], root: type[BaseModel]) -> str:
    """Suggest the allowed key closest to an unknown one, walking the model tree."""
    model: type[BaseModel] | None = root
    node: Any = raw
    for part in loc[:-1]:
        if model is None or not isinstance(node, dict):
            return ""
        node = node.get(part, {})
        model = _field_model(model, str(part), node)
    if model is None:
        return ""
    hint = difflib.get_close_matches(str(loc[-1]), list(model.model_fields), n=1)
    return f" (did you mean '{hint[0]}'?)" if hint else ""


def _field_model(model: type[BaseModel], name: str, node: Any) -> type[BaseModel] | None:
    field = model.model_fields.get(name)
    if field is None:
        return None
    annotation = field.annotation
    candidates = getattr(annotation, "__args__", (annotation,))
    for candidate in candidates:
        if not (isinstance(candidate, type) and issubclass(candidate, BaseModel)):
            continue
        backend = candidate.model_fields.get("backend")
        if backend is None or (isinstance(node, dict) and node.get("backend") == backend.default):
            return candidate
    return None
