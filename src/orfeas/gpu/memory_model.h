// How much device memory one job needs, from first principles of the pipeline — the starting
// point the optimizer uses until measured peaks (calibration.h) replace it.
//
// Built-in backend (params == 0), per item, r = grid resolution (cells per axis):
//   volume               4 · (r+1)³        float32 samples of the signed field
//   cell classification  1 · r³            one cube-case byte per cell
//   surface buffers      384 · r²          cells crossed by the surface ≈ 6·r² (a shape filling the
//                                          cube, the upper bound of the usual 2–6·r²), each needing
//                                          64 B: 3 edge ids (12) + a vertex with normal (24) +
//                                          two triangles (24) + a prefix-sum slot (4)
//   fixed overhead       32 MiB            decoded image, mask, distance fields, allocator rounding
// Neural backends (params > 0) add, per batch, the weights once: params · dtype_bytes; and per
// item the activations of one decoder chunk: chunk · 4096 · dtype_bytes (a cross-attention over
// 4096 latent tokens per query point, the dominant term). Diffusion steps change time, not memory:
// each step reuses the previous step's buffers.
//
//   r = 256: 4·257³ + 256³ + 384·256² = 67.9 MB + 16.8 MB + 25.2 MB, + 32 MiB ≈ 143 MB per item.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>

namespace orfeas::gpu {

struct JobConfig {
  std::string backend = "inflate";    // shape backend name
  std::uint32_t grid_resolution = 256;  // cells per axis
  std::uint32_t chunk_size = 0;         // query points per decoder chunk; 0 for the built-in backend
  std::uint64_t model_parameters = 0;   // 0 for the built-in backend
  std::uint32_t dtype_bytes = 4;        // bytes per weight/activation value (4 fp32, 2 fp16/bf16)
  std::uint32_t steps = 0;              // diffusion steps; 0 for the built-in backend
  bool weights_resident = false;        // the weights are already on the device (in its used bytes)
};

// Calibration is kept per "backend/r<res>/c<chunk>/d<dtype>/s<steps>", e.g. "inflate/r256/c0/d4/s0".
[[nodiscard]] std::string config_key(const JobConfig& config);

struct MemoryEstimate {
  std::uint64_t volume_bytes = 0;          // per item
  std::uint64_t classification_bytes = 0;  // per item
  std::uint64_t surface_bytes = 0;         // per item
  std::uint64_t activation_bytes = 0;      // per item, neural backends
  std::uint64_t overhead_bytes = 0;        // per item
  std::uint64_t weights_bytes = 0;         // once per batch, 0 when weights_resident

  [[nodiscard]] std::uint64_t per_item_bytes() const {
    return volume_bytes + classification_bytes + surface_bytes + activation_bytes + overhead_bytes;
  }
  [[nodiscard]] std::uint64_t batch_bytes(std::uint64_t items) const { return weights_bytes + items * per_item_bytes(); }
};

inline constexpr std::uint64_t kSurfaceBytesPerCell = 64;
inline constexpr std::uint64_t kSurfaceCellsPerR2 = 6;
inline constexpr std::uint64_t kItemOverheadBytes = std::uint64_t{32} << 20;
inline constexpr std::uint64_t kActivationValuesPerPoint = 4096;

[[nodiscard]] MemoryEstimate estimate_memory(const JobConfig& config);

}  // namespace orfeas::gpu
