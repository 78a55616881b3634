// Test-only helpers for the gpu-labelled kernel tests (orfeas_cuda_kernels_test): a CUDA pool and
// stream on device 0, and exact comparisons against the CPU twins with readable failures.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "orfeas/core/scalar_volume.h"
#include "orfeas/gpu/cuda_runtime.h"
#include "orfeas/gpu/memory_pool.h"
#include "orfeas/mesh/mesh.h"

namespace orfeas::mesh::testing {

// Device 0's pool and a stream. Without a GPU the ADD_FAILURE says why and `pool` is null: these
// tests fail, never skip, so a broken driver on the GPU machine cannot hide.
struct CudaContext {
  std::unique_ptr<gpu::MemoryPool> pool;
  std::unique_ptr<gpu::Stream> stream;

  [[nodiscard]] bool ready() const { return pool != nullptr && stream != nullptr; }
  [[nodiscard]] void* native_stream() const { return stream->native(); }
};
CudaContext require_cuda();

// Positions bit for bit (or within `tolerance` per coordinate when > 0) and triangles identical,
// in order. Reports the first difference and the sizes.
::testing::AssertionResult meshes_identical(const Mesh& cpu, const Mesh& gpu, float tolerance = 0.0F);

// Every value bit for bit; reports the first difference with its (i, j, k).
::testing::AssertionResult volumes_identical(const ScalarVolume& cpu, const ScalarVolume& gpu);

}  // namespace orfeas::mesh::testing
