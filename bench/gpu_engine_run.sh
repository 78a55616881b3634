#!/usr/bin/env bash
# The hunyuan3d backend as a user runs it on the GPU machine, in one call: a full-size v2-0 model
# folder with random weights (tools/parity/hy3d_reference.py writes it in the official layout,
# with its geometry decoder fitted to a sphere so the mesh is a closed object), then
# `orfeas generate --backend hunyuan3d` at the defaults (50 steps, CFG 5, octree 384, fp16) with a
# profile and a trace, twice (the second load reads the checkpoint from the page cache), and
# `orfeas serve --model` until it listens. Also runs the gpu-labelled and engine tests of a build
# with LibTorch. Logs, profiles and traces go to $OUT (default: out/gpu-engine).
#
# Carry .devdeps (bench/gpu_run.sh and tools/parity/run_gpu.sh list its packages) and
# third_party_ref (tools/parity/run_gpu.sh says how to make it).
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out=${OUT:-$root/out/gpu-engine}
work=${ENGINE_WORK:-/tmp/orfeas-engine}
mkdir -p "$out" "$work"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$out/machine.txt"

# The model folder, on the GPU, while we build (before .devdeps' libraries enter LD_LIBRARY_PATH).
PYTHONUNBUFFERED=1 timeout 300 python3 tools/parity/hy3d_reference.py "$work" --models v2-0 --dtypes fp16 \
  --octree 256 >"$out/reference.log" 2>&1 &
ref_pid=$!

source tools/parity/torch_build.sh
start=$(date +%s)
torch_build ON orfeas orfeas_engine_test orfeas_pipeline_test orfeas_mesh_test orfeas_shape_test \
  orfeas_profiling_test orfeas_profiling_gpu_test >"$out/build.log" 2>&1
build_rc=$?
echo "build: rc $build_rc in $(($(date +%s) - start)) s"
[[ $build_rc == 0 ]] || { grep -E "error" "$out/build.log" | head -20; exit 1; }
wait "$ref_pid"; echo "reference (model folder): rc $?"; tail -3 "$out/reference.log"
bin=build/gpu/bin/orfeas
model=$work/hunyuan3d-dit-v2-0
ls -l "$model" | tee -a "$out/machine.txt"

echo "== tests (engine on the GPU build, pipeline/mesh/shape/profiling incl. gpu-labelled)"
for t in engine pipeline mesh shape profiling profiling_gpu; do
  exe=$(find build/gpu -name "orfeas_${t}_test" -type f | head -1)
  timeout 300 "$exe" >"$out/test_$t.log" 2>&1
  echo "$t: rc $? $(grep -E '^\[  PASSED|^\[  FAILED' "$out/test_$t.log" | tr '\n' ' ')"
done

echo "== orfeas generate --backend hunyuan3d (defaults: 50 steps, octree 384, fp16), twice"
for run in 1 2; do
  /usr/bin/time -v "$bin" generate examples/duck.png --backend hunyuan3d --model "$model" --device cuda:0 \
    -o "$out/duck_$run.glb" --profile "$out/profile_$run.json" --trace "$out/trace_$run.json" \
    >"$out/generate_$run.log" 2>"$out/generate_$run.time"
  echo "run $run: rc $?"; cat "$out/generate_$run.log"
  grep -E "Elapsed|Maximum resident" "$out/generate_$run.time"
done
env -u LD_LIBRARY_PATH python3 - "$out/profile_2.json" <<'PY' | tee "$out/substages.txt"
import json, sys
from collections import defaultdict
stages = json.load(open(sys.argv[1]))["profiles"][0]["stages"]
agg = defaultdict(lambda: [0, 0.0, 0.0])
for s in stages:
    key = s["name"] if s["parent"] < 0 else stages[s["parent"]]["name"] + "/" + s["name"]
    a = agg[key]; a[0] += 1; a[1] += s["wall_ms"]; a[2] += s.get("gpu_ms") or 0.0
for key, (n, wall, gpu) in agg.items():
    print(f"{key:40s} x{n:3d}  wall {wall:9.1f} ms  gpu {gpu:9.1f} ms")
PY

echo "== orfeas serve --model (until it listens)"
timeout 120 "$bin" serve --port 0 --data-dir "$work/serve" --device cuda:0 --model "$model" >"$out/serve.log" 2>&1 &
serve_pid=$!
for _ in $(seq 1 600); do grep -q "listening on" "$out/serve.log" && break; sleep 0.2; done
kill -TERM "$serve_pid"; wait "$serve_pid"; echo "serve: rc $?"; cat "$out/serve.log"
true
