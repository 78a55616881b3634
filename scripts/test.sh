#!/usr/bin/env bash
# Quick start and CI: install dependencies, check formatting, then build and test every
# configuration the project ships, each built once:
#   dev            Debug + AddressSanitizer + UndefinedBehaviorSanitizer: every test
#   release        the README's build-by-hand (-O3, warnings as errors): every test, including the
#                  ones a sanitizer cannot run (virtual-memory limits)
#   tsan           ThreadSanitizer: the concurrency tests (profiler, thread pool, server, events)
#   profiling-off  ORFEAS_WITH_PROFILING=OFF: everything builds, every test passes
#   gpu            the CUDA code, compiled with nvcc; its tests (label gpu) run only where
#                  `nvidia-smi` finds a GPU
# Extra arguments go to every ctest call (e.g. -R Stl). ORFEAS_REQUIRE_CUDA_BUILD=1 makes a missing
# nvcc an error (CI sets it, with ORFEAS_REQUIRE_GLTF_VALIDATOR=1); otherwise that build is skipped.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/install-deps.sh --test

# ccache, when installed (install-deps.sh installs it), keeps rebuilds cheap.
if command -v ccache >/dev/null; then export ORFEAS_CCACHE=ccache; else export ORFEAS_CCACHE=; fi
step() { printf '\n== %s (%s)\n' "$1" "$(date +%T)"; }
has_gpu() { nvidia-smi -L >/dev/null 2>&1; }
labels=(-LE gpu)
if has_gpu; then labels=(); else echo "no NVIDIA GPU here: the tests labelled gpu are left out"; fi

step "clang-format"
scripts/check-format.sh

build_and_test() {  # preset, then ctest arguments
  local preset=$1
  shift
  step "$preset"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset"
  ctest --preset "$preset" "$@"
}

build_and_test dev "${labels[@]}" "$@"
build_and_test release "${labels[@]}" "$@"
build/release/bin/orfeas_pipeline_bench --repeats 1  # the README's benchmark command still runs
step "web UI in a real browser"
scripts/browser-test.sh build/release  # builds web/ (npm ci), serves it with orfeas serve, drives chromium

step "tsan"
cmake --preset tsan >/dev/null
cmake --build --preset tsan --target orfeas_profiling_test orfeas_core_test orfeas_serve_test orfeas_service_test
ctest --preset tsan -R 'Profil|Parallel' -LE gpu "$@"
# The server and the event layer: HTTP and WebSocket threads, publishers and subscribers. The tests
# that run pipelines (Service*, ProgressSocket*, ApiRouter*) are left out here: Debian's oneTBB is not
# built with TSan, so a loop's wait inside libtbb is invisible to it and the caller's stack, reused
# after the loop, can read as racing with a pool thread (seen once, in ServiceTest). Those tests run
# under ASan/UBSan above; the loops have their own annotated TSan tests (Parallel).
ctest --preset tsan -R 'HttpServer|WebSocket|EventHub|JobProgress|ServiceMetrics' -LE gpu "$@"

build_and_test profiling-off "${labels[@]}" "$@"

step "gpu (CUDA)"
if command -v nvcc >/dev/null; then
  cmake --preset gpu >/dev/null
  cmake --build --preset gpu
  if has_gpu; then ctest --preset gpu "$@"; else echo "CUDA code compiled; no GPU here to run it on"; fi
elif [[ "${ORFEAS_REQUIRE_CUDA_BUILD:-0}" == 1 ]]; then
  echo "nvcc not found: the CUDA build is required here (ORFEAS_REQUIRE_CUDA_BUILD=1)" >&2
  exit 1
else
  echo "nvcc not found: the CUDA build is skipped"
fi
step "all configurations passed"
