// orfeas_tiny_model DIR: writes DIR/hunyuan3d-dit-v2-0 (config.yaml + model.fp16.safetensors), a
// tiny model of the v2-0 architecture with random weights. It exercises every part of the
// hunyuan3d backend in a second on a CPU; the shapes it makes are meaningless blobs.
#include <cstdio>
#include <filesystem>
#include <string>

#include <fmt/format.h>

#include "orfeas/engine/random_model.h"

int main(int argc, char** argv) {
  if (argc != 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
    fmt::print(stderr, "usage: orfeas_tiny_model DIR  (writes DIR/hunyuan3d-dit-v2-0: a tiny random model)\n");
    return 2;
  }
  const std::filesystem::path folder = std::filesystem::path(argv[1]) / "hunyuan3d-dit-v2-0";
  const orfeas::Status written = orfeas::engine::write_random_model(folder, orfeas::engine::tiny_model_config(), 0);
  if (!written) {
    fmt::print(stderr, "orfeas_tiny_model: error: {}\n", written.error().message());
    return 1;
  }
  fmt::print("{}\n", folder.string());
  return 0;
}
