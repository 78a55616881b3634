#include "orfeas/gpu/memory_model.h"

namespace orfeas::gpu {

std::string config_key(const JobConfig& config) {
  return config.backend + "/r" + std::to_string(config.grid_resolution) + "/c" + std::to_string(config.chunk_size) +
         "/d" + std::to_string(config.dtype_bytes) + "/s" + std::to_string(config.steps);
}

MemoryEstimate estimate_memory(const JobConfig& config) {
  const std::uint64_t r = config.grid_resolution;
  MemoryEstimate e;
  e.volume_bytes = 4 * (r + 1) * (r + 1) * (r + 1);
  e.classification_bytes = 4 * (r + 1) * (r + 1) + 16 * ((r + 2) * (r + 2) + 1);
  e.surface_bytes = kSurfaceCellsPerR2 * kSurfaceBytesPerCell * r * r;
  e.overhead_bytes = kItemOverheadBytes;
  if (config.model_parameters > 0) {
    e.activation_bytes = std::uint64_t{config.chunk_size} * kActivationValuesPerPoint * config.dtype_bytes;
    if (!config.weights_resident) e.weights_bytes = config.model_parameters * config.dtype_bytes;
  }
  return e;
}

}  // namespace orfeas::gpu
