"""Prove that a pickled PyTorch model checkpoint can only build layers, before a library unpickles it.

Ultralytics stores whole model objects and loads them with
``torch.load(weights_only=False)``, which runs whatever the pickle names: a
checkpoint from an unknown source could run any code. :func:`check_model_pickle`
reads the checkpoint's pickle with an unpickler that resolves only an
allow-list and fails on anything else:

* classes that are ``torch.nn.Module`` subclasses defined under
  ``torch.nn.modules`` or one of the given model packages (``ultralytics.nn``),
  created the way a saved model is (``__new__`` plus its state) but never
  called: calling a model class runs its ``__init__`` with arguments from the
  file, and an Ultralytics model builds whatever its config names;
* plain containers and torch value types (``OrderedDict``, ``set``,
  ``torch.Size``, dtypes, storage types);
* ``getattr`` only on an allowed class and a public name that is a plain
  function (a checkpoint stores ``Detect.forward`` that way).

Tensor storages are not read (placeholders stand in for them), so the check
costs one pass over the pickle, not the weights. Every call the real load
makes is then one the check allowed, because a pickle has no control flow:
the same bytes make the same calls. The caller must hand the library the very
bytes that were checked (see :func:`vtondata.backends.pose_yolo`), not the
file again, so the file cannot change in between.
"""

from __future__ import annotations

import importlib
import io
import pickle
import types
import zipfile
from typing import Any

from vtondata.errors import WeightsNotFound

_ALWAYS_ALLOWED: dict[tuple[str, str], str] = {
    ("collections", "OrderedDict"): "collections",
    ("builtins", "set"): "builtins",
    ("__builtin__", "set"): "builtins",
    ("torch", "Size"): "torch",
}
_TENSOR_REBUILDERS = frozenset(
    {
        ("torch._utils", "_rebuild_tensor_v2"),
        ("torch._utils", "_rebuild_parameter"),
        ("torch._utils", "_rebuild_parameter_with_state"),
    }
)
_GETATTR = frozenset({("builtins", "getattr"), ("__builtin__", "getattr")})


class _Placeholder:
    """Stands in for a tensor or storage during the check; nothing is read."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        del args, kwargs


def check_model_pickle(data: bytes, packages: tuple[str, ...], label: str) -> None:
    """Raise :class:`WeightsNotFound` unless the zip checkpoint ``data`` names only allowed globals.

    ``packages`` are the module prefixes whose ``nn.Module`` classes may be
    built (``("ultralytics.nn.",)``); ``label`` names the file in messages.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        pickles = [name for name in archive.namelist() if name.endswith("data.pkl")]
    except zipfile.BadZipFile as error:
        raise WeightsNotFound(
            f"weights file {label} is not a zip-format PyTorch checkpoint ({error}); "
            "only zip checkpoints (torch.save since PyTorch 1.6) can be checked before loading"
        ) from error
    if len(pickles) != 1:
        raise WeightsNotFound(f"weights file {label} holds {len(pickles)} data.pkl records, expected one")
    try:
        _CheckingUnpickler(io.BytesIO(archive.read(pickles[0])), packages).load()
    except _Refused as error:
        raise WeightsNotFound(
            f"weights file {label} was refused before loading: its pickle names {error}, which a "
            "model checkpoint never needs and which could run code. Use the official release "
            "(its sha256 is in docs/weights.md) or re-save the model's weights from a trusted copy"
        ) from error
    except Exception as error:
        raise WeightsNotFound(
            f"weights file {label} is corrupt or truncated and cannot be read "
            f"({type(error).__name__}: {error}); delete it and fetch it again"
        ) from error


class _Refused(Exception):
    """A global outside the allow-list; the message names it."""


class _CheckingUnpickler(pickle.Unpickler):
    def __init__(self, stream: io.BytesIO, packages: tuple[str, ...]) -> None:
        super().__init__(stream)
        self.packages = ("torch.nn.modules.", *packages)

    def persistent_load(self, pid: Any) -> _Placeholder:
        return _Placeholder()

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _TENSOR_REBUILDERS:
            return _Placeholder
        if (module, name) in _GETATTR:
            return self._checked_getattr
        if (module, name) in _ALWAYS_ALLOWED:
            return getattr(importlib.import_module(_ALWAYS_ALLOWED[(module, name)]), name)
        if module == "torch" and (name.endswith("Storage") or _is_dtype(name)):
            return _Placeholder
        if module.startswith(self.packages) and self._is_module_class(module, name):
            return _uncallable(getattr(importlib.import_module(module), name))
        raise _Refused(f"'{module}.{name}'")

    def _is_module_class(self, module: str, name: str) -> bool:
        import torch

        try:
            found = getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError):
            return False
        return isinstance(found, type) and issubclass(found, torch.nn.Module) and found.__module__ == module

    def _checked_getattr(self, owner: Any, name: Any) -> Any:
        """``getattr`` restricted to a public plain function of an allowed class."""
        import torch

        allowed_owner = isinstance(owner, type) and issubclass(owner, torch.nn.Module)
        if not (allowed_owner and isinstance(name, str) and name.isidentifier() and not name.startswith("_")):
            raise _Refused(f"getattr({owner!r}, {name!r})")
        value = getattr(owner, name)
        if not isinstance(value, types.FunctionType):
            raise _Refused(f"getattr({owner!r}, {name!r}) (not a method)")
        return value


def _uncallable(layer_class: type) -> type:
    """A subclass of ``layer_class`` that pickle can create (``NEWOBJ``) but not call (``REDUCE``).

    A checkpoint rebuilds layers with ``cls.__new__`` and their saved state;
    calling a class would run its ``__init__`` with arguments from the file
    (an Ultralytics model class builds whatever a config dict names), so the
    check refuses it. The real load then makes the same calls as the check.
    """

    def refuse(self: Any, *args: Any, **kwargs: Any) -> None:
        raise _Refused(f"a call of '{layer_class.__module__}.{layer_class.__qualname__}'")

    return type(
        layer_class.__name__, (layer_class,), {"__init__": refuse, "__module__": layer_class.__module__}
    )


def _is_dtype(name: str) -> bool:
    import torch

    return isinstance(getattr(torch, name, None), torch.dtype)
