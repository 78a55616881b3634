// What one batch of jobs needs in memory on its device, as the stages that allocate it state it:
// each shape backend for its weights and per-item buffers (shape_backend.h), mesh extraction for
// its working buffers (mesh/surface_extraction.h). The pipeline adds them up (Pipeline::job_config);
// the optimizer sizes batches from that statement until measured peaks (calibration.h) replace it.
// There is no other memory model: a stage that allocates differently changes its own statement.
//
//   gpu::MemoryNeed need = backend.memory_need(options) + mesh::surface_memory_need(grid);
//   std::uint64_t bytes = need.batch_bytes(8);  // weights once + 8 items
//
// Thread-safety: values.
#pragma once

#include <cstdint>
#include <string>

namespace orfeas::gpu {

struct MemoryNeed {
  std::uint64_t weights_bytes = 0;   // once per batch (0 when already resident on the device)
  std::uint64_t per_item_bytes = 0;  // buffers and activations of one item

  [[nodiscard]] std::uint64_t batch_bytes(std::uint64_t items) const { return weights_bytes + items * per_item_bytes; }
  friend MemoryNeed operator+(MemoryNeed a, const MemoryNeed& b) {
    return {a.weights_bytes + b.weights_bytes, a.per_item_bytes + b.per_item_bytes};
  }
};

// One configuration of the pipeline as the optimizer sees it: the key its measurements are kept
// under, and the stages' own statement of what it needs.
struct JobConfig {
  std::string key;   // e.g. "inflate/cuda/r256": backend, device kind and what changes memory
  MemoryNeed model;  // from the stages (see above)
};

}  // namespace orfeas::gpu
