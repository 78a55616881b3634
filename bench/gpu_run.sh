#!/usr/bin/env bash
# One call on the GPU machine: build the gpu preset, run the tests labelled gpu and the unit tests,
# time the CUDA kernels against their CPU twins, and run the CLI's batch path on the device.
# Logs go to $OUT (default: out/gpu-run).
#
# The GPU machine (Ubuntu 24.04, no package registry) has CMake, nvcc, fmt, nlohmann-json, libpng
# and libjpeg but lacks these Debian 12 packages, which travel in .devdeps (git-ignored; name it in
# the device call's `carry`) and are picked up when present:
#   ../shared/device/debs.sh .devdeps libexpected-dev libcli11-dev libgtest-dev libgmock-dev \
#     libwebp-dev libwebp7 libwebpdemux2 libwebpmux3 libexif-dev libexif12 \
#     libtbb-dev libtbb12 libtbbmalloc2 libtbbbind-2-5 libhwloc15 libsqlite3-dev libsqlite3-0
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out=${OUT:-$root/out/gpu-run}
mkdir -p "$out"
if [[ -f .devdeps/env.sh ]]; then
  source .devdeps/env.sh
  export PKG_CONFIG_SYSROOT_DIR="$root/.devdeps/root"
fi
jobs=$(nproc)
{
  nvidia-smi --query-gpu=name,memory.total,memory.used,driver_version --format=csv
  cmake --preset gpu -DORFEAS_WITH_TESTS=ON >/dev/null && cmake --build --preset gpu -j "$jobs" 2>&1 | tail -3
} >"$out/build.log" 2>&1 || { tail -40 "$out/build.log"; exit 1; }
tail -3 "$out/build.log"

echo "== gpu tests"
ctest --test-dir build/gpu -L gpu -V --timeout 1200 >"$out/gpu_tests.log" 2>&1
grep -E "tests passed|FAILED|Failed|resolution .*stated|jobs at 1024|Skipped" "$out/gpu_tests.log"
echo "== unit tests"
ctest --test-dir build/gpu -L unit -j "$jobs" >"$out/unit_tests.log" 2>&1
grep -E "tests passed|FAILED" "$out/unit_tests.log"

echo "== kernels: CPU vs GPU"
build/gpu/bin/orfeas_cuda_kernels_bench --repeats 5 --resolutions 256,512,1024 >"$out/bench.log" 2>&1
cat "$out/bench.log"
echo "== pipeline stages (CPU) on this machine"
build/gpu/bin/orfeas_pipeline_bench --repeats 5 >>"$out/bench.log" 2>&1
tail -5 "$out/bench.log"

echo "== CLI batch on the device"
work=$(mktemp -d)
mkdir -p "$work/in" "$work/out" "$work/data"
for i in $(seq 1 6); do
  for f in examples/duck.png tests/data/star_palette.png tests/data/photo_object.jpg; do
    b=$(basename "$f"); cp "$f" "$work/in/${i}_$b"
  done
done
export ORFEAS_DATA_DIR="$work/data"
{
  build/gpu/bin/orfeas gpu --resolution 512 --queue 18
  /usr/bin/time -v build/gpu/bin/orfeas generate "$work/in" --out-dir "$work/out" --device cuda --resolution 512 \
    --profile "$out/report.json" --trace "$out/trace.json" 2>&1 | grep -vE "^\s+(Average|Exit|Swaps|File|Socket|Signals|Page size|Voluntary|Involuntary|Minor|Major)"
  build/gpu/bin/orfeas gpu --resolution 512 --queue 18
  build/gpu/bin/orfeas profile "$out/report.json"
  nvidia-smi
} >"$out/cli.log" 2>&1
tail -60 "$out/cli.log"
rm -rf "$work"
