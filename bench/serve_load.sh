#!/usr/bin/env bash
# Load figures of `orfeas serve` on this machine, for docs/benchmarks.md ("Service").
#
#   bench/serve_load.sh [status|fanout|jobs|all]      (default: status)
#
#   status  GET /api/jobs/{id} of one completed job, with Debian's `wrk` (apt-get install wrk) for
#           DURATION seconds at each of CONNECTIONS: requests/s and latency percentiles.
#   fanout  bin/orfeas_serve_fanout_bench: SUBSCRIBERS WebSocket subscribers to "*", EVENTS events
#           per trigger (TRIGGERS, default "cache cancel": a content-cache hit with the worker idle,
#           then a DELETE of a queued job behind busy workers), p50/p99/max latency from the
#           triggering request to each subscriber's receipt. A fresh server per trigger.
#   jobs    JOBS jobs of the server's default settings (no parameters: STL, resolution 128, the
#           inflate backend on the CPU), submitted at once over one keep-alive connection, each a
#           different copy of examples/duck.png (a tEXt chunk apart, so the content cache answers
#           none); wall time from the first submit until every job is final (polled every 50 ms),
#           and jobs/hour.
#
# Each measurement starts its own `orfeas serve` from the release build (BUILD_DIR, default
# build/release: `cmake --preset release && cmake --build --preset release`) on a fresh temporary data
# directory, with the open-file limit raised, and stops it (SIGTERM) afterwards.
#
# Environment: BUILD_DIR, DURATION (10), CONNECTIONS ("16 64 256"), WRK_THREADS (2), SUBSCRIBERS
# (1000), EVENTS (200), CLIENT_THREADS (1), TRIGGERS, BLOCKERS (20),
# BLOCKER_RESOLUTION (512), JOBS (200), SERVE_ARGS (extra `orfeas serve` options).
# Needs curl, python3 and wrk. No assertions: the figures go to docs/benchmarks.md.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build/release}
orfeas=$build/bin/orfeas
image=$root/examples/duck.png
duration=${DURATION:-10}
connections=${CONNECTIONS:-16 64 256}
wrk_threads=${WRK_THREADS:-2}
subscribers=${SUBSCRIBERS:-1000}
events=${EVENTS:-200}
client_threads=${CLIENT_THREADS:-1}
jobs=${JOBS:-200}
mode=${1:-status}

[[ -x $orfeas ]] || { echo "serve_load.sh: no $orfeas (build the release preset first)" >&2; exit 1; }
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

server_pid=""
data=""
port=""
base=""

stop_server() {
  if [[ -n $server_pid ]]; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
  fi
  if [[ -n $data ]]; then
    rm -rf "$data"
    data=""
  fi
}
trap stop_server EXIT

start_server() {
  data=$(mktemp -d /tmp/orfeas-serve-bench.XXXXXX)
  # shellcheck disable=SC2086  # SERVE_ARGS is a list of options
  "$orfeas" serve --host 127.0.0.1 --port 0 --data-dir "$data/data" ${SERVE_ARGS:-} >"$data/serve.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 300); do
    port=$(sed -n 's|^listening on http://[^:]*:\([0-9]*\).*|\1|p' "$data/serve.log" | head -n1)
    [[ -n $port ]] && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$data/serve.log" >&2; exit 1; }
    sleep 0.1
  done
  [[ -n $port ]] || { echo "serve_load.sh: the server did not say where it listens" >&2; exit 1; }
  base=http://127.0.0.1:$port
}

json_field() {  # json_field FIELD < JSON
  python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"
}

submit() {  # submit IMAGE [QUERY] -> job id
  curl -sS --fail-with-body -X POST -H 'Content-Type: image/png' --data-binary @"$1" "$base/api/jobs${2:-}" |
    json_field id
}

job_status() {
  curl -sS --fail-with-body "$base/api/jobs/$1" | json_field status
}

wait_final() {  # wait_final ID -> the final status
  local status
  while true; do
    status=$(job_status "$1")
    case $status in completed | failed | cancelled) echo "$status"; return ;; esac
    sleep 0.2
  done
}

describe() {
  echo "machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)"
  echo "commit: $(git -C "$root" rev-parse --short HEAD)$(git -C "$root" diff --quiet HEAD -- src tools bench || echo ' (with local changes)')"
  echo "date: $(date -u '+%Y-%m-%d %H:%M UTC'), load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
}

measure_status() {
  command -v wrk >/dev/null || { echo "serve_load.sh: wrk is missing (apt-get install wrk)" >&2; exit 1; }
  start_server
  local id final
  id=$(submit "$image")
  final=$(wait_final "$id")
  echo "== GET /api/jobs/{id} (one $final job), wrk -t$wrk_threads, ${duration} s per run"
  wrk -t"$wrk_threads" -c16 -d2s "$base/api/jobs/$id" >/dev/null  # warm-up
  printf '%-12s %12s %10s %10s %10s %10s %10s\n' connections requests/s p50 p75 p90 p99 errors
  for c in $connections; do
    local out
    out=$(wrk -t"$wrk_threads" -c"$c" -d"${duration}s" --latency "$base/api/jobs/$id")
    awk -v c="$c" '
      /Requests\/sec:/ { rps = $2 }
      /^ +50%/ { p50 = $2 } /^ +75%/ { p75 = $2 } /^ +90%/ { p90 = $2 } /^ +99%/ { p99 = $2 }
      /Non-2xx or 3xx responses:/ { errors += $NF }
      /Socket errors:/ { errors += 1 }
      END { printf "%-12s %12s %10s %10s %10s %10s %10d\n", c, rps, p50, p75, p90, p99, errors }' <<<"$out"
  done
  stop_server
}

measure_fanout() {
  local bench=$build/bin/orfeas_serve_fanout_bench
  [[ -x $bench ]] || { echo "serve_load.sh: no $bench" >&2; exit 1; }
  local trigger
  for trigger in ${TRIGGERS:-cache cancel}; do
    start_server
    echo "== WebSocket fan-out: $subscribers subscribers, $events events, trigger $trigger"
    "$bench" --port "$port" --subscribers "$subscribers" --events "$events" --client-threads "$client_threads" \
      --trigger "$trigger" --blockers "${BLOCKERS:-20}" --blocker-resolution "${BLOCKER_RESOLUTION:-512}" \
      --image "$image"
    stop_server
  done
}

measure_jobs() {
  start_server
  echo "== $jobs jobs of the default settings, submitted at once"
  # One keep-alive client: submits every job (copies of the duck that differ only in a PNG tEXt chunk:
  # the same pixels, other bytes, so the content cache answers none), then polls each until final.
  python3 - "$port" "$image" "$jobs" <<'EOF'
import http.client, json, struct, sys, time, zlib
port, source, count = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
data = open(source, "rb").read()
end = data.rindex(b"IEND") - 4
def copy(i):
    payload = b"Comment\x00bench copy %d" % i
    chunk = struct.pack(">I", len(payload)) + b"tEXt" + payload + struct.pack(">I", zlib.crc32(b"tEXt" + payload))
    return data[:end] + chunk + data[end:]
images = [copy(i) for i in range(count)]
client = http.client.HTTPConnection("127.0.0.1", port)
def call(method, path, body=None, headers={}):
    client.request(method, path, body=body, headers=headers)
    response = client.getresponse()
    return response.status, json.loads(response.read())
start = time.monotonic()
ids = []
for image in images:
    status, answer = call("POST", "/api/jobs", image, {"Content-Type": "image/png"})
    if status != 202:
        sys.exit(f"POST /api/jobs answered {status}: {answer}")
    ids.append(answer["id"])
submitted = time.monotonic() - start
pending, failed, first = set(ids), 0, None
while pending:
    for job in list(pending):
        status, answer = call("GET", f"/api/jobs/{job}")
        if answer.get("status") in ("completed", "failed", "cancelled"):
            pending.discard(job)
            failed += answer["status"] != "completed"
            first = first or answer
    time.sleep(0.05)
wall = time.monotonic() - start
params = first.get("params", {k: first[k] for k in ("resolution", "format", "backend", "device") if k in first})
print(f"job settings (the server's defaults): {json.dumps(params)}")
print(f"{count} jobs submitted in {submitted:.2f} s, {failed} not completed; all final after {wall:.2f} s: "
      f"{wall / count * 1000:.1f} ms per job, {count * 3600 / wall:.0f} jobs/hour")
EOF
  stop_server
}

describe
case $mode in
  status) measure_status ;;
  fanout) measure_fanout ;;
  jobs) measure_jobs ;;
  all) measure_status; measure_fanout; measure_jobs ;;
  *) echo "usage: bench/serve_load.sh [status|fanout|jobs|all]" >&2; exit 2 ;;
esac
