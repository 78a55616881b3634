#!/usr/bin/env bash
# `orfeas serve` on the GPU machine, in one call: build the gpu preset's server, run the service
# tests there (the CUDA worker's included), serve a batch of jobs on the device and keep what the
# API says of it (/api/gpu/status, /metrics, /api/performance/summary), then measure the WebSocket
# fan-out with the server held to two cores (as on the development machine) and the subscribers'
# client on the other cores, so the client's own work does not count against the server.
# Logs and answers go to $OUT (default: out/gpu-serve). Needs .devdeps (see bench/gpu_run.sh).
#   bench/gpu_serve_run.sh [JOBS]          # JOBS jobs at resolution 512 (default 24)
#   FANOUT_ONLY=1 bench/gpu_serve_run.sh   # the fan-out measurement alone
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out=${OUT:-$root/out/gpu-serve}
jobs=${1:-24}
mkdir -p "$out"
if [[ -f .devdeps/env.sh ]]; then
  source .devdeps/env.sh
  export PKG_CONFIG_SYSROOT_DIR="$root/.devdeps/root"
fi
{
  nvidia-smi --query-gpu=name,memory.total,memory.used,driver_version --format=csv
  cmake --preset gpu -DORFEAS_WITH_TESTS=ON >/dev/null &&
    cmake --build --preset gpu -j "$(nproc)" --target orfeas_cli orfeas_service_test orfeas_serve_fanout_bench 2>&1 | tail -3
} >"$out/build.log" 2>&1 || { tail -40 "$out/build.log"; exit 1; }
tail -2 "$out/build.log"

echo "== service tests (CUDA build, on the GPU)"
if [[ -z ${FANOUT_ONLY:-} ]]; then
  build/gpu/src/orfeas/service/orfeas_service_test >"$out/service_tests.log" 2>&1
  grep -E "^\[  (PASSED|FAILED|SKIPPED) |tests ran" "$out/service_tests.log"
fi

ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
server_pid=""
stop_server() {
  [[ -n $server_pid ]] || return 0
  kill -TERM "$server_pid" 2>/dev/null
  wait "$server_pid" 2>/dev/null
  server_pid=""
}
trap stop_server EXIT
start_server() {  # start_server LOG [taskset CPU list] -- orfeas serve options...
  local log=$1 cpus=$2
  shift 2
  local pin=()
  [[ -n $cpus ]] && pin=(taskset -c "$cpus")
  "${pin[@]}" build/gpu/bin/orfeas serve --host 127.0.0.1 --port 0 "$@" >"$log" 2>&1 &
  server_pid=$!
  port=""
  for _ in $(seq 300); do
    port=$(sed -n 's|^listening on http://[^:]*:\([0-9]*\).*|\1|p' "$log" | head -n1)
    [[ -n $port ]] && return 0
    sleep 0.1
  done
  echo "the server did not start:"; cat "$log"; exit 1
}

if [[ -z ${FANOUT_ONLY:-} ]]; then
echo "== $jobs jobs at resolution 512 through orfeas serve --device cuda"
data=$(mktemp -d)
start_server "$out/serve_cuda.log" "" --data-dir "$data" --device cuda
python3 - "$port" "$jobs" "$out" <<'PY'
import http.client, json, struct, sys, time, zlib
port, count, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
sources = ["examples/duck.png", "tests/data/star_palette.png", "tests/data/disc_rgba.png"]
def copy(data, i):  # other bytes, same pixels: the content cache answers none
    end = data.rindex(b"IEND") - 4
    payload = b"Comment\x00gpu run %d" % i
    chunk = struct.pack(">I", len(payload)) + b"tEXt" + payload + struct.pack(">I", zlib.crc32(b"tEXt" + payload))
    return data[:end] + chunk + data[end:]
images = [copy(open(sources[i % len(sources)], "rb").read(), i) for i in range(count)]
client = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
def call(method, path, body=None, headers={}):
    client.request(method, path, body=body, headers=headers)
    response = client.getresponse()
    return response.status, response.read()
start = time.monotonic()
ids = []
for image in images:
    status, body = call("POST", "/api/jobs?resolution=512&format=stl", image, {"Content-Type": "image/png"})
    assert status in (200, 202), (status, body)
    ids.append(json.loads(body)["id"])
final = {}
while len(final) < len(ids):
    for job in ids:
        if job in final:
            continue
        status, body = call("GET", "/api/jobs/" + job)
        view = json.loads(body)
        if view["status"] in ("completed", "failed", "cancelled"):
            final[job] = view
    time.sleep(0.05)
seconds = time.monotonic() - start
states = {}
for view in final.values():
    states[view["status"]] = states.get(view["status"], 0) + 1
print("%d jobs in %.2f s (%.0f jobs/hour): %s" % (count, seconds, count * 3600 / seconds, states))
for view in final.values():
    if view["status"] != "completed":
        print("  not completed:", json.dumps(view)[:400])
for path, name in [("/api/gpu/status", "gpu_status.json"), ("/metrics", "metrics.txt"),
                   ("/api/performance/summary", "performance_summary.json"),
                   ("/api/performance/recommendations", "recommendations.json")]:
    status, body = call("GET", path)
    open(out + "/" + name, "wb").write(body)
    print("GET %s -> %d, %d bytes" % (path, status, len(body)))
gpu = json.loads(open(out + "/gpu_status.json").read())
print("gpu status: total_mb %s used_mb %s utilization %s, devices %d" % (
    gpu.get("total_mb"), gpu.get("used_mb"), gpu.get("utilization"), len(gpu.get("devices", []))))
for line in open(out + "/metrics.txt"):
    if line.startswith(("orfeas_batch_size_count", "orfeas_batch_size_sum", "orfeas_oom_retries_total",
                        "orfeas_gpu_memory", "orfeas_jobs{", "orfeas_workers")):
        print("  " + line.rstrip())
PY
stop_server
rm -rf "$data"
fi

cores=$(nproc)
echo "== WebSocket fan-out: the server on CPUs 0-1 (--device cpu), 1000 subscribers' client on CPUs 2-$((cores - 1))"
# FANOUT_NICE="10 19": the busy-worker (cancel) run once per --worker-nice value.
runs=(cache)
if [[ -n ${FANOUT_NICE:-} ]]; then
  for nice in $FANOUT_NICE; do runs+=("cancel:$nice"); done
else
  runs+=(cancel)
fi
for run in "${runs[@]}"; do
  trigger=${run%%:*}
  nice_args=()
  [[ $run == *:* ]] && nice_args=(--worker-nice "${run#*:}")
  name=${run/:/_nice}
  echo "-- $trigger ${nice_args[*]}"
  data=$(mktemp -d)
  start_server "$out/serve_fanout_$name.log" 0,1 --data-dir "$data" --device cpu "${nice_args[@]}"
  taskset -c "2-$((cores - 1))" build/gpu/bin/orfeas_serve_fanout_bench --port "$port" --subscribers 1000 \
    --events 200 --client-threads 4 --trigger "$trigger" --blockers 20 --blocker-resolution 512 \
    --image examples/duck.png 2>&1 | tee "$out/fanout_$name.log" | tail -5
  stop_server
  rm -rf "$data"
done
