// orfeas_tiny_model DIR: writes DIR/hunyuan3d-dit-v2-0 (config.yaml + model.fp16.safetensors), a
// tiny model of the v2-0 architecture with random weights, and DIR/hunyuan3d-dit-v2-mv, its
// multi-view twin (the same weights). They exercise every part of the hunyuan3d backend in a second
// on a CPU; the shapes they make are meaningless blobs.
#include <cstdio>
#include <filesystem>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "orfeas/engine/random_model.h"

namespace {

orfeas::Status write_models(const std::filesystem::path& dir) {
  const std::string single = orfeas::engine::tiny_model_config();
  ORFEAS_ASSIGN_OR_RETURN(const std::string multi, orfeas::engine::multiview_config(single));
  for (const auto& [name, config] :
       {std::pair<const char*, const std::string&>{"hunyuan3d-dit-v2-0", single}, {"hunyuan3d-dit-v2-mv", multi}}) {
    const std::filesystem::path folder = dir / name;
    ORFEAS_RETURN_IF_ERROR(orfeas::engine::write_random_model(folder, config, 0));
    fmt::print("{}\n", folder.string());
  }
  return orfeas::ok();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
    fmt::print(stderr,
               "usage: orfeas_tiny_model DIR  (writes DIR/hunyuan3d-dit-v2-0 and DIR/hunyuan3d-dit-v2-mv: tiny random "
               "models)\n");
    return 2;
  }
  if (const orfeas::Status written = write_models(argv[1]); !written) {
    fmt::print(stderr, "orfeas_tiny_model: error: {}\n", written.error().message());
    return 1;
  }
  return 0;
}
