#!/usr/bin/env bash
# Quick start: install dependencies, build with AddressSanitizer and UndefinedBehaviorSanitizer
# (the dev preset, warnings as errors), and run every test; the profiler's tests run once more
# under ThreadSanitizer (the tsan preset). Tests labelled `gpu` need an NVIDIA GPU
# and run only where `nvidia-smi` finds one. Extra arguments go to ctest (e.g. -L unit, -R Stl).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/install-deps.sh --test
cmake --preset dev >/dev/null
cmake --build --preset dev
# The profiler's concurrency tests, again under ThreadSanitizer.
cmake --preset tsan >/dev/null
cmake --build --preset tsan --target orfeas_profiling_test
ctest --preset tsan -R 'Profil' -LE gpu
if nvidia-smi -L >/dev/null 2>&1; then
  ctest --preset dev "$@"
else
  echo "no NVIDIA GPU here: skipping the tests labelled gpu"
  ctest --preset dev -LE gpu "$@"
fi
