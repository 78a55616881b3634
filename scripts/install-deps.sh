#!/usr/bin/env bash
# Installs what ORFEAS needs to build (and, with --test, to run its tests) from Debian's packages.
# Idempotent: when everything is present it only checks, in well under a second.
set -euo pipefail

packages=(
  g++ cmake ninja-build pkg-config
  libpng-dev libjpeg62-turbo-dev libwebp-dev libexif-dev
  libcli11-dev libexpected-dev nlohmann-json3-dev libfmt-dev libtbb-dev
  libboost-dev libsqlite3-dev libyaml-cpp-dev
  # OpenCV core + imgproc: the photo cut-out (GrabCut) and the engine's image preparation.
  libopencv-core-dev libopencv-imgproc-dev
  lib3mf-dev  # the 3MF writer (required by the dev and release presets)
  # The native Hunyuan3D-2 engine: LibTorch on the CPU, and OpenBLAS for its BLAS (without it
  # LibTorch's fallback is ~14x slower).
  libtorch-dev libopenblas0-pthread
)
if [[ "${1:-}" == "--test" ]]; then
  packages+=(libgtest-dev libgmock-dev clang-format ccache)
  # The web UI's real-browser test (scripts/browser-test.sh): Debian's chromium, driven headless by
  # playwright-core; its fonts are only a recommendation of chromium-common, so they are named.
  # curl and python3: .ci/run follows the README's curl example to its result.
  packages+=(chromium fonts-liberation curl python3)
  command -v node >/dev/null && command -v npm >/dev/null || packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  sudo=""; [[ $(id -u) -eq 0 ]] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [[ "${1:-}" == "--test" ]]; then
  # The Khronos glTF-Validator, for the tests that check every GLB we write.
  root=$(cd "$(dirname "$0")/.." && pwd)
  validator="$root/tools/gltf-validate"
  if [[ ! -d "$validator/node_modules/gltf-validator" || "$validator/package-lock.json" -nt "$validator/node_modules" ]]; then
    npm ci --prefix "$validator" --no-audit --no-fund --loglevel=error
    touch "$validator/node_modules"
  fi
fi
