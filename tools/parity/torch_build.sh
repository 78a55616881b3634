# Sourced by the GPU machine's scripts (tools/parity/run_gpu.sh, bench/gpu_engine_run.sh): the gpu
# preset with the engine, against the LibTorch of the installed PyTorch, with .devdeps' Debian
# packages when carried.
#
#   source tools/parity/torch_build.sh
#   torch_build TESTS TARGET...   # TESTS: ON or OFF (ORFEAS_WITH_TESTS); the configure and build output
#                                 # goes to stdout; returns cmake's status
# (FMT_HEADER_ONLY: PyTorch ships fmt 12 headers that shadow the system library's.)
torch_build() {
  local tests=$1
  shift
  local torch_prefix
  torch_prefix=$(python3 -c 'import torch;print(torch.utils.cmake_prefix_path)') || return 1
  if [[ -f .devdeps/env.sh ]]; then
    source .devdeps/env.sh
    export PKG_CONFIG_SYSROOT_DIR="$PWD/.devdeps/root"
  fi
  local targets=()
  for target in "$@"; do targets+=(--target "$target"); done
  cmake --preset gpu -DORFEAS_WITH_TORCH=ON -DCMAKE_PREFIX_PATH="$torch_prefix;${CMAKE_PREFIX_PATH:-}" \
    -DORFEAS_WITH_TESTS="$tests" -DORFEAS_WARNINGS_AS_ERRORS=OFF -DCMAKE_CXX_FLAGS=-DFMT_HEADER_ONLY &&
    cmake --build --preset gpu -j "$(nproc)" "${targets[@]}"
}
