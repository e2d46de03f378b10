#!/usr/bin/env bash
# Install Debian's Chromium for the report's browser tests (tests/report/).
#
# usage: scripts/install-chromium.sh   (as root, or with sudo available)
#
# Idempotent: does nothing when /usr/bin/chromium already exists. The tests
# start it headless with a fresh profile and no network features.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
    exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
    sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends chromium
/usr/bin/chromium --version
