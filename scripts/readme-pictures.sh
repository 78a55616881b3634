#!/usr/bin/env bash
# The README's pictures, made only here: three inputs turned into meshes by `orfeas generate`
# (default options) and drawn by `orfeas render` as one row each — the input, then the mesh from
# the front, three-quarter from the front-left, and from behind — into OUT_DIR/<name>.png
# (default docs/images). The same build gives the same files, byte for byte.
#   scripts/readme-pictures.sh [OUT_DIR]
# Builds the release CLI as scripts/example.sh does (run that first on a fresh machine: it installs
# the dependencies).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out=${1:-docs/images}
cmake --preset release -DORFEAS_WITH_TESTS=OFF >/dev/null
cmake --build --preset release --target orfeas_cli >/dev/null
orfeas=build/release/bin/orfeas

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"

# name, input: a cut-out seen from the side; a flat drawing on white; a cut-out with a thin part
# and a hole (examples/make_mug.py draws it).
pictures=(
  "duck examples/duck.png"
  "house tests/data/drawing_on_white.jpg"
  "mug examples/mug.png"
)
for entry in "${pictures[@]}"; do
  read -r name input <<<"$entry"
  "$orfeas" generate "$input" -o "$work/$name.ply" --quiet
  "$orfeas" render "$work/$name.ply" --image "$input" --views front,side,back --size 240 -o "$out/$name.png"
done
