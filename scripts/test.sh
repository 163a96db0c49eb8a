#!/usr/bin/env bash
# The whole test suite from a fresh machine: install what is missing, build, run every
# Qt Test suite under ctest (unit, gui offscreen, slow, and gpu, which skips without a GPU).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
export QT_QPA_PLATFORM=offscreen
ctest --test-dir build --output-on-failure --timeout 1800 -j1 "$@"
