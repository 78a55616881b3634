// gpu label: the CUDA marching cubes against mesh::marching_cubes(): identical meshes — positions
// bit for bit, triangles identical and in the same order.
#include "orfeas/mesh/cuda/marching_cubes.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "orfeas/gpu/cuda/device_volume_cuda.h"
#include "orfeas/mesh/cuda/cuda_test_support.h"
#include "orfeas/mesh/test_volumes.h"
#include "orfeas/shape/cuda/inflate_sampler.h"

namespace orfeas::mesh {
namespace {

using testing::meshes_identical;
using testing::require_cuda;

void expect_gpu_equals_cpu(testing::CudaContext& cuda, const ScalarVolume& volume, float iso, const std::string& what) {
  SCOPED_TRACE(what);
  auto cpu = marching_cubes(volume, {.iso = iso});
  ASSERT_TRUE(cpu.has_value()) << cpu.error().message();
  auto device = gpu::upload_volume_cuda(volume, *cuda.pool, cuda.native_stream());
  ASSERT_TRUE(device.has_value()) << device.error().message();
  auto gpu = marching_cubes_cuda(*device, {.iso = iso}, *cuda.pool, cuda.native_stream());
  ASSERT_TRUE(gpu.has_value()) << gpu.error().message();
  EXPECT_TRUE(meshes_identical(*cpu, *gpu));
}

float torus(Vec3f p) {
  const float ring = std::hypot(p.x, p.y) - 0.55F;
  return std::hypot(ring, p.z) - 0.2F;
}

TEST(GpuMarchingCubes, AnalyticSurfacesEqualTheCpu) {
  auto cuda = require_cuda();
  ASSERT_TRUE(cuda.ready());
  expect_gpu_equals_cpu(cuda, testing::sphere_volume(65, 0.6F), 0.0F, "sphere 65");
  expect_gpu_equals_cpu(cuda, testing::sphere_volume(129, 0.6F), 0.0F, "sphere 129");
  expect_gpu_equals_cpu(cuda, testing::sphere_volume(257, 0.83F), 0.0F, "sphere 257");
  expect_gpu_equals_cpu(cuda, testing::sphere_volume(40, 0.5F), 0.05F, "sphere 40, iso 0.05");
  expect_gpu_equals_cpu(cuda, testing::sample_cube(97, torus), 0.0F, "torus 97");
  // Rows of exactly 32, 33 and 64 cells: chunk boundaries of the warps.
  expect_gpu_equals_cpu(cuda, testing::sample_cube(31, torus), 0.0F, "torus 31");
  expect_gpu_equals_cpu(cuda, testing::sample_cube(32, torus), 0.0F, "torus 32");
  expect_gpu_equals_cpu(cuda, testing::sample_cube(63, torus), 0.0F, "torus 63");
}

TEST(GpuMarchingCubes, NoiseEqualsTheCpu) {
  auto cuda = require_cuda();
  ASSERT_TRUE(cuda.ready());
  for (const auto& [n, seed] :
       {std::pair{9, 1U}, std::pair{17, 2U}, std::pair{33, 3U}, std::pair{64, 4U}, std::pair{100, 5U}}) {
    expect_gpu_equals_cpu(cuda, testing::noise_volume(n, seed), 0.0F, "noise " + std::to_string(n));
  }
  expect_gpu_equals_cpu(cuda, testing::noise_volume(50, 6), 0.4F, "noise 50, iso 0.4");
  // Values exactly at iso (outside) and ties between neighbours: the clamp and the `<` rule.
  ScalarVolume quantised = testing::noise_volume(48, 7);
  for (float& v : quantised.values) v = std::round(v);
  expect_gpu_equals_cpu(cuda, quantised, 0.0F, "noise in {-1, 0, 1}");
}

TEST(GpuMarchingCubes, ObjectsTouchingTheBorderAreCappedLikeTheCpu) {
  auto cuda = require_cuda();
  ASSERT_TRUE(cuda.ready());
  expect_gpu_equals_cpu(cuda, testing::sphere_volume(48, 1.2F), 0.0F, "sphere cut by every face");
  expect_gpu_equals_cpu(cuda, ScalarVolume(5, 6, 7, Vec3f{}, 0.5F, -1.0F), 0.0F, "everything inside");
  expect_gpu_equals_cpu(cuda, testing::sample_cube(70, [](Vec3f p) { return p.x - 0.3F; }), 0.0F, "half space");
}

TEST(GpuMarchingCubes, NonCubicGridsAndOffsetsEqualTheCpu) {
  auto cuda = require_cuda();
  ASSERT_TRUE(cuda.ready());
  ScalarVolume volume(77, 13, 40, Vec3f{0.25F, -3.0F, 1.5F}, 0.137F);
  for (int k = 0; k < volume.nz; ++k) {
    for (int j = 0; j < volume.ny; ++j) {
      for (int i = 0; i < volume.nx; ++i) {
        const Vec3f p = volume.position(i, j, k) - Vec3f{5.5F, -2.2F, 4.0F};
        volume.at(i, j, k) = std::sqrt(p.x * p.x * 0.3F + p.y * p.y * 2.0F + p.z * p.z * 0.6F) - 1.5F;
      }
    }
  }
  expect_gpu_equals_cpu(cuda, volume, 0.0F, "ellipsoid on 77x13x40");
}

TEST(GpuMarchingCubes, EmptyVolumeGivesAnEmptyMesh) {
  auto cuda = require_cuda();
  ASSERT_TRUE(cuda.ready());
  const ScalarVolume outside(20, 20, 20, Vec3f{}, 1.0F, 1.0F);
  auto device = gpu::upload_volume_cuda(outside, *cuda.pool, cuda.native_stream());
  ASSERT_TRUE(device.has_value()) << device.error().message();
  auto gpu = marching_cubes_cuda(*device, {}, *cuda.pool, cuda.native_stream());
  ASSERT_TRUE(gpu.has_value()) << gpu.error().message();
  EXPECT_TRUE(gpu->positions.empty());
  EXPECT_TRUE(gpu->triangles.empty());
}

TEST(GpuMarchingCubes, RejectsWhatTheCpuRejects) {
  auto cuda = require_cuda();
  ASSERT_TRUE(cuda.ready());
  ScalarVolume volume = testing::sphere_volume(16, 0.5F);
  volume.at(3, 4, 5) = std::numeric_limits<float>::quiet_NaN();
  ASSERT_FALSE(marching_cubes(volume).has_value());
  auto device = gpu::upload_volume_cuda(volume, *cuda.pool, cuda.native_stream());
  ASSERT_TRUE(device.has_value()) << device.error().message();
  auto gpu = marching_cubes_cuda(*device, {}, *cuda.pool, cuda.native_stream());
  ASSERT_FALSE(gpu.has_value());
  EXPECT_EQ(gpu.error().code(), ErrorCode::kInvalidArgument) << gpu.error().message();

  volume.at(3, 4, 5) = std::numeric_limits<float>::infinity();
  device = gpu::upload_volume_cuda(volume, *cuda.pool, cuda.native_stream());
  ASSERT_TRUE(device.has_value()) << device.error().message();
  gpu = marching_cubes_cuda(*device, {}, *cuda.pool, cuda.native_stream());
  ASSERT_FALSE(gpu.has_value());
  EXPECT_EQ(gpu.error().code(), ErrorCode::kInvalidArgument) << gpu.error().message();

  gpu::DeviceScalarVolume flat;
  flat.nx = 1;
  flat.ny = 8;
  flat.nz = 8;
  gpu = marching_cubes_cuda(flat, {}, *cuda.pool, cuda.native_stream());
  ASSERT_FALSE(gpu.has_value());
  EXPECT_EQ(gpu.error().code(), ErrorCode::kInvalidArgument);
}

TEST(GpuMarchingCubes, SeveralVolumesAtOnceAndNothingLeftAllocated) {
  auto cuda = require_cuda();
  ASSERT_TRUE(cuda.ready());
  const std::vector<ScalarVolume> volumes = {testing::sphere_volume(33, 0.7F), testing::noise_volume(21, 9),
                                             testing::sample_cube(45, torus),
                                             ScalarVolume(6, 6, 6, Vec3f{}, 1.0F, 1.0F)};
  {
    std::vector<gpu::DeviceScalarVolume> device;
    std::vector<const gpu::DeviceScalarVolume*> views;
    for (const auto& volume : volumes) {
      auto uploaded = gpu::upload_volume_cuda(volume, *cuda.pool, cuda.native_stream());
      ASSERT_TRUE(uploaded.has_value()) << uploaded.error().message();
      device.push_back(std::move(*uploaded));
    }
    for (const auto& d : device) views.push_back(&d);
    auto gpu = marching_cubes_cuda(std::span<const gpu::DeviceScalarVolume* const>(views), {}, *cuda.pool,
                                   cuda.native_stream());
    ASSERT_TRUE(gpu.has_value()) << gpu.error().message();
    ASSERT_EQ(gpu->size(), volumes.size());
    for (std::size_t i = 0; i < volumes.size(); ++i) {
      auto cpu = marching_cubes(volumes[i]);
      ASSERT_TRUE(cpu.has_value());
      EXPECT_TRUE(meshes_identical(*cpu, (*gpu)[i])) << "volume " << i;
    }
  }
  EXPECT_EQ(cuda.pool->stats().allocated_bytes, 0U);
}

TEST(GpuMarchingCubes, ChainsWithTheSamplerLikeTheCpuPipeline) {
  auto cuda = require_cuda();
  ASSERT_TRUE(cuda.ready());
  image::Mask mask(200, 200);
  for (int y = 0; y < 200; ++y) {
    for (int x = 0; x < 200; ++x)
      mask.at(x, y) =
          (std::abs(x - 100) < 70 && std::abs(y - 90) < 40) || (x - 60) * (x - 60) + (y - 150) * (y - 150) < 900;
  }
  auto field = shape::compute_inflate_field(image::ImageRgba8(200, 200), mask, {.resolution = 150, .thickness = 0.8F});
  ASSERT_TRUE(field.has_value()) << field.error().message();
  auto cpu = marching_cubes(shape::sample_inflate_volume(*field));
  ASSERT_TRUE(cpu.has_value());
  auto device = shape::sample_inflate_volume_cuda(*field, *cuda.pool, cuda.native_stream());
  ASSERT_TRUE(device.has_value()) << device.error().message();
  auto gpu = marching_cubes_cuda(*device, {}, *cuda.pool, cuda.native_stream());
  ASSERT_TRUE(gpu.has_value()) << gpu.error().message();
  EXPECT_TRUE(meshes_identical(*cpu, *gpu));
}

}  // namespace
}  // namespace orfeas::mesh
