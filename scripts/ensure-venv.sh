#!/usr/bin/env bash
# Make sure a virtual environment with vtondata's pinned dependencies exists,
# link it as ./.venv and install vtondata into it in editable mode.
#
# The environment lives outside the clone, in the user's cache folder, keyed by
# a hash of everything that decides its contents (requirements files and the
# install script), so repeated runs and fresh clones skip the 2-3 minute
# install while the pins are unchanged. A half-built environment (no
# completion marker) is rebuilt.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/vtondata"
key="$(cat "$root"/requirements/*.txt "$root/scripts/install.sh" | sha256sum | cut -c1-16)"
venv="$cache/venv-$key"

if [[ ! -f "$venv/.complete" ]]; then
    echo "installing dependencies into $venv (about 3 minutes, 7.5 GB)" >&2
    rm -rf "$venv"
    mkdir -p "$cache"
    bash "$root/scripts/install.sh" "$venv"
    touch "$venv/.complete"
fi
ln -sfn "$venv" "$root/.venv"
"$root/.venv/bin/python" -m pip install --quiet --no-deps --no-build-isolation -e "$root" 2>&1 \
    | grep -v "^WARNING: Location" >&2 || true
"$root/.venv/bin/python" -c "import vtondata" >/dev/null
echo "$venv"
