#include "orfeas/mesh/cuda/cuda_test_support.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <sstream>

namespace orfeas::mesh::testing {
namespace {

bool same_bits(float a, float b) {
  return std::bit_cast<std::uint32_t>(a) == std::bit_cast<std::uint32_t>(b);
}

bool close(float a, float b, float tolerance) {
  return tolerance > 0.0F ? std::fabs(a - b) <= tolerance : same_bits(a, b);
}

}  // namespace

CudaContext require_cuda() {
  CudaContext context;
  auto pool = gpu::create_cuda_memory_pool(0);
  if (!pool) {
    ADD_FAILURE() << "no CUDA pool on device 0 (cuda_device_count() = " << gpu::cuda_device_count()
                  << "): " << pool.error().message();
    return context;
  }
  auto stream = gpu::create_cuda_stream(0);
  if (!stream) {
    ADD_FAILURE() << "no CUDA stream on device 0: " << stream.error().message();
    return context;
  }
  context.pool = std::move(*pool);
  context.stream = std::move(*stream);
  return context;
}

::testing::AssertionResult meshes_identical(const Mesh& cpu, const Mesh& gpu, float tolerance) {
  if (cpu.positions.size() != gpu.positions.size() || cpu.triangles.size() != gpu.triangles.size()) {
    return ::testing::AssertionFailure() << "CPU mesh has " << cpu.positions.size() << " vertices and "
                                         << cpu.triangles.size() << " triangles, GPU mesh " << gpu.positions.size()
                                         << " and " << gpu.triangles.size();
  }
  for (std::size_t i = 0; i < cpu.positions.size(); ++i) {
    const Vec3f a = cpu.positions[i];
    const Vec3f b = gpu.positions[i];
    if (!close(a.x, b.x, tolerance) || !close(a.y, b.y, tolerance) || !close(a.z, b.z, tolerance)) {
      std::ostringstream out;
      out.precision(9);
      out << "vertex " << i << " of " << cpu.positions.size() << ": CPU (" << a.x << ", " << a.y << ", " << a.z
          << ") GPU (" << b.x << ", " << b.y << ", " << b.z << ")";
      return ::testing::AssertionFailure() << out.str();
    }
  }
  for (std::size_t i = 0; i < cpu.triangles.size(); ++i) {
    if (cpu.triangles[i] != gpu.triangles[i]) {
      const Triangle& a = cpu.triangles[i];
      const Triangle& b = gpu.triangles[i];
      return ::testing::AssertionFailure()
             << "triangle " << i << " of " << cpu.triangles.size() << ": CPU (" << a[0] << ", " << a[1] << ", " << a[2]
             << ") GPU (" << b[0] << ", " << b[1] << ", " << b[2] << ")";
    }
  }
  return ::testing::AssertionSuccess() << cpu.positions.size() << " vertices, " << cpu.triangles.size()
                                       << " triangles identical";
}

::testing::AssertionResult volumes_identical(const ScalarVolume& cpu, const ScalarVolume& gpu) {
  if (cpu.nx != gpu.nx || cpu.ny != gpu.ny || cpu.nz != gpu.nz || cpu.values.size() != gpu.values.size()) {
    return ::testing::AssertionFailure() << "grids differ: CPU " << cpu.nx << "x" << cpu.ny << "x" << cpu.nz << ", GPU "
                                         << gpu.nx << "x" << gpu.ny << "x" << gpu.nz;
  }
  if (!(cpu.origin == gpu.origin) || !same_bits(cpu.spacing, gpu.spacing)) {
    return ::testing::AssertionFailure() << "origin or spacing differ";
  }
  std::size_t mismatches = 0;
  std::size_t first = 0;
  for (std::size_t i = 0; i < cpu.values.size(); ++i) {
    if (!same_bits(cpu.values[i], gpu.values[i])) {
      if (mismatches == 0) first = i;
      ++mismatches;
    }
  }
  if (mismatches == 0) return ::testing::AssertionSuccess();
  const auto plane = static_cast<std::size_t>(cpu.nx) * static_cast<std::size_t>(cpu.ny);
  std::ostringstream out;
  out.precision(9);
  out << mismatches << " of " << cpu.values.size() << " values differ; first at (i, j, k) = ("
      << first % static_cast<std::size_t>(cpu.nx) << ", " << (first % plane) / static_cast<std::size_t>(cpu.nx) << ", "
      << first / plane << "): CPU " << cpu.values[first] << " GPU " << gpu.values[first];
  return ::testing::AssertionFailure() << out.str();
}

}  // namespace orfeas::mesh::testing
