#!/usr/bin/env bash
# The parity run on the GPU machine, in one call (docs/parity.md): the reference modules at the real
# configurations with random weights (hy3d_reference.py, on the GPU) while orfeas_parity builds (the
# gpu preset against the LibTorch of the installed PyTorch), then our side on the same files, then
# compare.py's table; then the timings of both pipelines on the v2-0 folder, ours first, each alone
# on the machine (docs/benchmarks.md). Logs, the table and bench_*.json go to $OUT (default:
# out/parity).
#
# Needs, carried with the call (both git-ignored):
#   .devdeps          the Debian packages the machine lacks (see bench/gpu_run.sh), plus yaml-cpp and
#                     OpenCV core/imgproc for the engine: ../shared/device/debs.sh .devdeps libyaml-cpp-dev
#                     libyaml-cpp0.7 libopencv-core-dev libopencv-imgproc-dev libopencv-core406
#                     libopencv-imgproc406 libblas3 liblapack3 libgfortran5 libquadmath0 libglx0 libglvnd0
#                     libx11-6 libxcb1 libxau6 libxdmcp6 (then delete the libopencv_*.a and link
#                     libblas.so.3 / liblapack.so.3 from their blas/ and lapack/ folders)
#   third_party_ref   the reference code, never committed:
#     mkdir -p third_party_ref/Hunyuan3D-2 third_party_ref/Hunyuan3D-2.1
#     git --git-dir=/work/.mirror/Tencent-Hunyuan+Hunyuan3D-2/repo archive HEAD hy3dgen | tar -x -C third_party_ref/Hunyuan3D-2
#     git --git-dir=/work/.mirror/Tencent-Hunyuan+Hunyuan3D-2.1/repo archive HEAD hy3dshape/hy3dshape | tar -x -C third_party_ref/Hunyuan3D-2.1
#
#   tools/parity/run_gpu.sh [MODELS [DTYPES]]   # MODELS: v2-0,v2-1,v2-mini,v2-0-turbo,v2-0-fast,v2-mv
#                                               #   (default: all)
#                                               # DTYPES: fp32,fp16,bf16 (default); PARITY_BENCH=0: no timings
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
out=${OUT:-$root/out/parity}
work=${PARITY_WORK:-/tmp/orfeas-parity}
models=${1:-v2-0,v2-1,v2-mini,v2-0-turbo,v2-0-fast,v2-mv}
dtypes=${2:-fp32,fp16,bf16}
mkdir -p "$out" "$work"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$out/machine.txt"
python3 -c 'import torch, transformers; print("torch", torch.__version__, "transformers", transformers.__version__)' | tee -a "$out/machine.txt"

# the reference, on the GPU, while we build (before .devdeps' libraries enter LD_LIBRARY_PATH)
PYTHONUNBUFFERED=1 timeout 300 python3 tools/parity/hy3d_reference.py "$work" --models "$models" \
  --dtypes "$dtypes" >"$out/reference.log" 2>&1 &
ref_pid=$!

source tools/parity/torch_build.sh
start=$(date +%s)
torch_build OFF orfeas_parity >"$out/build.log" 2>&1
build_rc=$?
if [[ $build_rc != 0 ]]; then  # without LibTorch's allocator statistics (tools/parity/CMakeLists.txt)
  grep -E "error" "$out/build.log" | head -5
  cmake build/gpu -DORFEAS_PARITY_WITH_ALLOC_STATS=OFF >>"$out/build.log" 2>&1 &&
    cmake --build --preset gpu -j "$(nproc)" --target orfeas_parity >>"$out/build.log" 2>&1
  build_rc=$?
fi
echo "build: rc $build_rc in $(($(date +%s) - start)) s"; grep -E "LibTorch|error" "$out/build.log" | head -20
wait "$ref_pid"; echo "reference: rc $?"; tail -25 "$out/reference.log"
[[ $build_rc == 0 ]] || exit 1
bin=build/gpu/tools/parity/orfeas_parity
[[ -x $bin ]] || bin=build/gpu/bin/orfeas_parity
timeout 270 "$bin" "$work" 2>&1 | tee "$out/ours.log"
env -u LD_LIBRARY_PATH python3 tools/parity/compare.py "$work" --table "$out/parity_table.md"
[[ ${PARITY_BENCH:-1} == 1 && -d $work/hunyuan3d-dit-v2-0 ]] || exit 0
echo "== timings (v2-0, fp16): ours, then the reference"
timeout 150 "$bin" --bench "$work/hunyuan3d-dit-v2-0" "$out/bench_orfeas.json" 2>&1 | tee -a "$out/ours.log"
env -u LD_LIBRARY_PATH PYTHONUNBUFFERED=1 timeout 150 python3 tools/parity/hy3d_reference.py "$work" --bench 2>&1 |
  tee -a "$out/reference.log"
cp "$work/bench_reference.json" "$out/" 2>/dev/null
true
