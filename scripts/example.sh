#!/usr/bin/env bash
# Quick start: install dependencies, build (release), and turn the bundled example image into a
# printable STL. Prints where the model went and how long each stage took.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/install-deps.sh
cmake --preset release -DORFEAS_WITH_TESTS=OFF >/dev/null
cmake --build --preset release --target orfeas_cli
mkdir -p out
build/release/bin/orfeas generate examples/duck.png -o out/duck.stl "$@"
