#!/usr/bin/env bash
# Make sure ./.venv runs this clone's vtondata on top of the pinned dependencies.
#
# The dependencies (about 7.5 GB, 2-3 minutes to install) live once in the
# user's cache folder, in deps-<hash>, keyed by a hash of everything that
# decides their contents (requirements files and the install script), so
# fresh clones skip the install while the pins are unchanged. That shared
# environment never holds vtondata itself: each clone gets its own small
# .venv (a virtual environment without packages of its own) whose
# site-packages reads the shared one through a .pth file and holds an editable
# install of this clone only. Two clones therefore never run each other's code.
#
# A half-built shared environment (no completion marker) is rebuilt, under a
# lock so that two clones installing at once do not collide. With
# VTONDATA_NO_DEPS_INSTALL=1 a missing shared environment is an error instead.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/vtondata"
key="$(cat "$root"/requirements/*.txt "$root/scripts/install.sh" | sha256sum | cut -c1-16)"
deps="$cache/deps-$key"
venv="$root/.venv"

mkdir -p "$cache"
exec 9>"$deps.lock"
flock 9
if [[ ! -f "$deps/.complete" ]]; then
    if [[ -n "${VTONDATA_NO_DEPS_INSTALL:-}" ]]; then
        echo "error: $deps is not installed (VTONDATA_NO_DEPS_INSTALL is set)" >&2
        exit 1
    fi
    echo "installing dependencies into $deps (about 3 minutes, 7.5 GB)" >&2
    rm -rf "$deps"
    # pip names every configured package index it cannot read; those lines say nothing about this install.
    bash "$root/scripts/install.sh" "$deps" 2> >(grep -v "^WARNING: Location" >&2)
    touch "$deps/.complete"
fi
flock -u 9

# What this clone's .venv was made from (a moved clone counts as changed); when it is unchanged
# there is nothing to do.
stamp="$root"$'\n'"$deps"$'\n'"$(sha256sum "$root/pyproject.toml" | cut -c1-16)"
marker="$venv/.vtondata-clone-env"
if [[ -L "$venv" ]]; then
    rm "$venv"  # a link to a shared environment, from an older layout: the link goes, its target stays
elif [[ -e "$venv" && ! -f "$marker" ]]; then
    echo "error: $venv exists and was not made by scripts/ensure-venv.sh; move it away and retry" >&2
    exit 1
fi
if [[ ! -f "$marker" || "$(cat "$marker")" != "$stamp" || ! -x "$venv/bin/python" ]]; then
    rm -f "$marker"
    "$deps/bin/python" -m venv --clear --without-pip "$venv"
    purelib="$(env -u PYTHONPATH "$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
    deps_purelib="$("$deps/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
    echo "import site; site.addsitedir('$deps_purelib')" >"$purelib/_vtondata_deps.pth"
    ln -sfn "$deps/bin/ruff" "$venv/bin/ruff"
    env -u PYTHONPATH "$venv/bin/python" -m pip install --quiet --no-deps --no-build-isolation --no-warn-script-location \
        -e "$root" 2> >(grep -v "^WARNING: Location" >&2)
    printf '%s' "$stamp" >"$marker"
fi

origin="$(env -u PYTHONPATH "$venv/bin/python" -c 'import importlib.util; print(importlib.util.find_spec("vtondata").origin)')"
if [[ "$origin" != "$root/vtondata/__init__.py" ]]; then
    echo "error: $venv imports vtondata from $origin, not from $root" >&2
    exit 1
fi
echo "$venv"
