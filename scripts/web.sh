#!/usr/bin/env bash
# Builds the web UI of `orfeas serve` into web/dist (three.js bundled in; nothing is loaded from
# elsewhere at run time): `npm ci` when web/node_modules is missing or older than the lock file,
# then the type check and the esbuild bundle. Idempotent and quiet; prints one line when done.
#   scripts/web.sh            # then: orfeas serve --web-root web/dist
set -euo pipefail
web=$(cd "$(dirname "$0")/../web" && pwd)
cd "$web"
command -v npm >/dev/null || { echo "scripts/web.sh: npm not found (scripts/install-deps.sh --test installs it)" >&2; exit 1; }

# node_modules is stamped after a successful install; a newer lock file means install again.
if [[ ! -f node_modules/.orfeas-installed || package-lock.json -nt node_modules/.orfeas-installed ]]; then
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
  touch node_modules/.orfeas-installed
fi
npm run --silent build
