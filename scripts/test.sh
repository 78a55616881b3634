#!/usr/bin/env bash
# Quick start: install dependencies, build with AddressSanitizer and UndefinedBehaviorSanitizer
# (the dev preset, warnings as errors), and run every test. Extra arguments go to ctest
# (e.g. -L unit, -R Stl).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/install-deps.sh --test
cmake --preset dev >/dev/null
cmake --build --preset dev
ctest --preset dev "$@"
