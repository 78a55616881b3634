#!/usr/bin/env bash
# The web UI in a real browser: builds the UI (scripts/web.sh), starts `orfeas serve` from a build
# on a free port with a fresh data folder, and runs web/tests/browser.test.mjs with playwright-core
# driving Debian's chromium headless (upload examples/duck.png, progress to 100 %, the model on the
# bed, the download, the dashboard, the mesh tools, a phone-sized screen). The server is stopped in
# every case; the exit status is the test's.
#   scripts/browser-test.sh [BUILD_DIR]     # default build/release; needs the chromium package
# CHROMIUM names another browser binary; ORFEAS_SCREENSHOTS=DIR keeps the screenshots.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
build=${1:-build/release}
cli="$build/bin/orfeas"
chromium=${CHROMIUM:-/usr/bin/chromium}
die() { echo "scripts/browser-test.sh: $*" >&2; exit 1; }
[[ -x "$cli" ]] || die "no $cli: build it first (cmake --build --preset release)"
[[ -x "$chromium" ]] || die "no browser at $chromium: apt-get install chromium (scripts/install-deps.sh --test)"

scripts/web.sh
npm --prefix web run --silent test:unit  # the UI's logic in Node first: seconds, and clearer failures

work=$(mktemp -d)
server_pid=""
test_pid=""
stop_server() {
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  server_pid=""
}
cleanup() {
  # The test (and the browser it drives: playwright closes it on SIGTERM) first, then the server.
  if [[ -n "$test_pid" ]] && kill -0 "$test_pid" 2>/dev/null; then
    kill -TERM "$test_pid" 2>/dev/null || true
    wait "$test_pid" 2>/dev/null || true
  fi
  stop_server
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# With a key the test also checks that the UI asks for it, and that it sends it (header and socket).
# (The server reads it from $ORFEAS_API_KEY, which ps does not show.)
api_key="browser-test-$RANDOM$RANDOM"
ORFEAS_API_KEY="$api_key" "$cli" serve --host 127.0.0.1 --port 0 --data-dir "$work/data" \
  --web-root "$root/web/dist" >"$work/serve.log" 2>&1 &
server_pid=$!

url=""
for _ in $(seq 300); do  # up to 30 s
  url=$(grep -o -m1 'listening on http://[^ ]*' "$work/serve.log" | sed 's/^listening on //' || true)
  [[ -n "$url" ]] && break
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.1
done
if [[ -z "$url" ]]; then
  cat "$work/serve.log" >&2
  die "orfeas serve did not start"
fi
echo "browser test against $url ($("$chromium" --version 2>/dev/null | head -1))"

# In the background and waited for, so a signal to this script stops everything at once.
ORFEAS_URL="$url" ORFEAS_API_KEY="$api_key" CHROMIUM="$chromium" node --test web/tests/browser.test.mjs &
test_pid=$!
status=0
wait "$test_pid" || status=$?
test_pid=""
if ((status != 0)); then
  echo "--- orfeas serve log (last 40 lines)" >&2
  tail -n 40 "$work/serve.log" >&2
fi
exit "$status"
