// How much device memory one job needs, from first principles of the pipeline — the starting
// point the optimizer uses until measured peaks (calibration.h) replace it.
//
// Built-in backend (params == 0), per item, r = grid resolution (cells per axis), n = r + 1; the
// terms are the GPU path's own allocations (mesh/cuda/inflated_surfaces.h):
//   volume               4 · n³                float32 samples of the signed field
//   in-plane bookkeeping 4 · n² + 16·((n+1)²+1) the field's columns; per-row vertex/triangle offsets
//   surface              144 · r²              ≈ 4·r² vertices (12 B) and 8·r² triangles (12 B)
//   rounding             5 MiB                 five allocations rounded up to 2 MiB buckets
// Neural backends (params > 0) add, per batch, the weights once: params · dtype_bytes; and per
// item the activations of one decoder chunk: chunk · 4096 · dtype_bytes (a cross-attention over
// 4096 latent tokens per query point, the dominant term). Diffusion steps change time, not memory:
// each step reuses the previous step's buffers.
//
//   r = 256: 67.9 MB + 1.3 MB + 9.4 MB + 5.2 MB ≈ 84 MB per item; r = 1024: ≈ 4.5 GB.
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
  std::uint64_t classification_bytes = 0;  // per item: in-plane columns and per-row counts
  std::uint64_t surface_bytes = 0;         // per item
  std::uint64_t activation_bytes = 0;      // per item, neural backends
  std::uint64_t overhead_bytes = 0;        // per item
  std::uint64_t weights_bytes = 0;         // once per batch, 0 when weights_resident

  [[nodiscard]] std::uint64_t per_item_bytes() const {
    return volume_bytes + classification_bytes + surface_bytes + activation_bytes + overhead_bytes;
  }
  [[nodiscard]] std::uint64_t batch_bytes(std::uint64_t items) const { return weights_bytes + items * per_item_bytes(); }
};

// The built-in GPU path (mesh/cuda/inflated_surfaces.h) allocates per item, with n = r + 1:
//   volume 4·n^3, in-plane columns 4·n^2, per-row vertex/triangle offsets 16·((n+1)^2 + 1),
//   and the mesh: 12 bytes per vertex and per triangle.
// An inflated silhouette at the default border has about kVerticesPerR2·r^2 vertices (a sphere
// filling 85 % of the canvas: 3.4 r^2) and twice as many triangles. Each of the five allocations
// is rounded up to the pool's bucket (2 MiB above 1 MiB): on average 1 MiB each.
inline constexpr std::uint64_t kVerticesPerR2 = 4;
inline constexpr std::uint64_t kSurfaceBytesPerCell = 12 * 3;  // a vertex and its two triangles
inline constexpr std::uint64_t kSurfaceCellsPerR2 = kVerticesPerR2;
inline constexpr std::uint64_t kItemOverheadBytes = std::uint64_t{5} << 20;
inline constexpr std::uint64_t kActivationValuesPerPoint = 4096;

[[nodiscard]] MemoryEstimate estimate_memory(const JobConfig& config);

}  // namespace orfeas::gpu
