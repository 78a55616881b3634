// gpu label: the batched inflate → mesh entry against the CPU pipeline item by item, its memory
// formula against the pool's own accounting, and kOutOfMemory for a batch the card cannot hold.
#include "orfeas/mesh/cuda/inflated_surfaces.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "orfeas/gpu/caching_memory_pool.h"
#include "orfeas/mesh/cuda/cuda_test_support.h"

namespace orfeas::mesh {
namespace {

using testing::meshes_identical;
using testing::require_cuda;

constexpr std::uint64_t kMiB = std::uint64_t{1} << 20;

// Disc (inner = 0) or annulus, squashed in x by `squash`.
image::Mask ring_mask(int size, float inner, float outer, float squash = 1.0F) {
  image::Mask mask(size, size);
  for (int y = 0; y < size; ++y) {
    for (int x = 0; x < size; ++x) {
      const float mx = (static_cast<float>(x) + 0.5F) / static_cast<float>(size) * 2.0F - 1.0F;
      const float my = 1.0F - (static_cast<float>(y) + 0.5F) / static_cast<float>(size) * 2.0F;
      const float r = std::hypot(mx * squash, my);
      mask.at(x, y) = (r >= inner && r <= outer) ? 1 : 0;
    }
  }
  return mask;
}

shape::InflateField field_of(const image::Mask& mask, shape::ShapeOptions options) {
  auto field = shape::compute_inflate_field(image::ImageRgba8(mask.width, mask.height), mask, options);
  EXPECT_TRUE(field.has_value()) << field.error().message();
  return field ? std::move(*field) : shape::InflateField{};
}

Mesh cpu_surface(const shape::InflateField& field) {
  auto mesh = marching_cubes(shape::sample_inflate_volume(field));
  EXPECT_TRUE(mesh.has_value()) << mesh.error().message();
  return mesh ? std::move(*mesh) : Mesh{};
}

TEST(GpuInflatedSurfaces, BatchEqualsTheCpuItemByItem) {
  auto cuda = require_cuda();
  ASSERT_TRUE(cuda.ready());
  const std::vector<shape::InflateField> fields = {
      field_of(ring_mask(256, 0.0F, 0.6F), {.resolution = 64}),
      field_of(ring_mask(384, 0.3F, 0.75F), {.resolution = 128, .thickness = 0.7F}),
      field_of(ring_mask(512, 0.0F, 0.8F, 1.7F), {.resolution = 256, .thickness = 1.5F}),
      field_of(ring_mask(512, 0.2F, 0.9F, 1.2F), {.resolution = 512, .thickness = 1.0F}),
      field_of(image::Mask(128, 128, 1), {.resolution = 100, .thickness = 2.5F}),  // touches the canvas edge
  };
  std::vector<const shape::InflateField*> batch;
  for (const auto& field : fields) batch.push_back(&field);
  auto gpu = extract_inflated_surfaces_cuda(batch, {}, *cuda.pool, cuda.native_stream());
  ASSERT_TRUE(gpu.has_value()) << gpu.error().message();
  ASSERT_EQ(gpu->size(), fields.size());
  for (std::size_t i = 0; i < fields.size(); ++i) {
    EXPECT_TRUE(meshes_identical(cpu_surface(fields[i]), (*gpu)[i])) << "item " << i << " (resolution "
                                                                      << fields[i].points - 1 << ")";
  }
  EXPECT_EQ(cuda.pool->stats().allocated_bytes, 0U);
}

TEST(GpuInflatedSurfaces, PeakMemoryFollowsTheFormula) {
  auto cuda = require_cuda();
  ASSERT_TRUE(cuda.ready());
  for (const int resolution : {64, 256, 512}) {
    const shape::InflateField field = field_of(ring_mask(512, 0.0F, 0.9F), {.resolution = resolution});
    const shape::InflateField* batch[] = {&field, &field, &field};
    cuda.pool->reset_peak();
    auto gpu = extract_inflated_surfaces_cuda(batch, {}, *cuda.pool, cuda.native_stream());
    ASSERT_TRUE(gpu.has_value()) << gpu.error().message();
    const std::uint64_t peak = cuda.pool->stats().peak_allocated_bytes;
    const std::uint64_t n = static_cast<std::uint64_t>(resolution) + 1;
    const auto bucket = [](std::uint64_t bytes) { return static_cast<std::uint64_t>(gpu::pool_bucket_bytes(bytes)); };
    const std::uint64_t vertices = (*gpu)[0].positions.size();
    const std::uint64_t triangles = (*gpu)[0].triangles.size();
    const std::uint64_t exact_item = bucket(4 * n * n * n) + bucket(4 * n * n) + bucket(16 * ((n + 1) * (n + 1) + 1)) +
                                     bucket(12 * vertices) + bucket(12 * triangles);
    const std::uint64_t estimate = estimate_inflated_surface_bytes(resolution);
    std::printf("resolution %d: %llu vertices (%.2f r^2), peak %.1f MiB for 3 items, exact per item %.1f MiB, "
                "estimate per item %.1f MiB\n",
                resolution, static_cast<unsigned long long>(vertices),
                static_cast<double>(vertices) / (static_cast<double>(resolution) * resolution),
                static_cast<double>(peak) / kMiB, static_cast<double>(exact_item) / kMiB,
                static_cast<double>(estimate) / kMiB);
    // The per-item terms, plus the batch's counters and scan scratch (a few small buckets).
    EXPECT_GE(peak, 3 * exact_item);
    EXPECT_LE(peak, 3 * exact_item + 4 * kMiB);
    EXPECT_LE(exact_item, estimate) << "a sphere-like item must fit the estimate's mesh allowance";
  }
}

TEST(GpuInflatedSurfaces, TooBigABatchIsOutOfMemoryAndASmallerSplitSucceeds) {
  auto cuda = require_cuda();
  ASSERT_TRUE(cuda.ready());
  auto info = gpu::cuda_memory_info(0);
  ASSERT_TRUE(info.has_value()) << info.error().message();
  constexpr int kResolution = 1024;
  const shape::InflateField field = field_of(ring_mask(256, 0.0F, 0.7F), {.resolution = kResolution});
  const std::uint64_t per_item = estimate_inflated_surface_bytes(kResolution);
  std::size_t items = 40;
  ASSERT_GT(items * per_item, info->total_bytes) << "40 items at 1024^3 should exceed this card ("
                                                 << (info->total_bytes >> 20) << " MiB)";
  std::vector<const shape::InflateField*> batch(items, &field);
  auto too_big = extract_inflated_surfaces_cuda(batch, {}, *cuda.pool, cuda.native_stream());
  ASSERT_FALSE(too_big.has_value()) << items << " items at 1024^3 fitted a card of " << (info->total_bytes >> 20)
                                    << " MiB";
  EXPECT_EQ(too_big.error().code(), ErrorCode::kOutOfMemory) << too_big.error().message();
  std::printf("expected failure: %s\n", too_big.error().message().c_str());
  EXPECT_EQ(cuda.pool->stats().allocated_bytes, 0U) << "a failed batch must give everything back";

  // What a scheduler does: halve until it fits.
  Result<std::vector<Mesh>> meshes = too_big;
  while (!meshes && meshes.error().code() == ErrorCode::kOutOfMemory && items > 1) {
    items /= 2;
    batch.resize(items);
    meshes = extract_inflated_surfaces_cuda(batch, {}, *cuda.pool, cuda.native_stream());
  }
  ASSERT_TRUE(meshes.has_value()) << "even " << items << " item(s) failed: " << meshes.error().message();
  std::printf("%zu items at 1024^3 fitted (estimate %.2f GiB per item, card %.1f GiB)\n", items,
              static_cast<double>(per_item) / (1024.0 * kMiB), static_cast<double>(info->total_bytes) / (1024.0 * kMiB));
  EXPECT_GE(items, 2U) << "an 80 GB card holds more than one 1024^3 item";
  const Mesh cpu = cpu_surface(field);
  EXPECT_TRUE(meshes_identical(cpu, meshes->front()));
  for (std::size_t i = 1; i < meshes->size(); ++i) EXPECT_TRUE(meshes_identical(meshes->front(), (*meshes)[i]));
  EXPECT_EQ(cuda.pool->stats().allocated_bytes, 0U);
  cuda.pool->release_cache();
}

TEST(GpuInflatedSurfaces, RejectsMalformedItems) {
  auto cuda = require_cuda();
  ASSERT_TRUE(cuda.ready());
  const shape::InflateField good = field_of(ring_mask(64, 0.0F, 0.5F), {.resolution = 16});
  const shape::InflateField* with_null[] = {&good, nullptr};
  auto result = extract_inflated_surfaces_cuda(with_null, {}, *cuda.pool, cuda.native_stream());
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(result.error().message().find("item 1"), std::string::npos) << result.error().message();
  auto empty = extract_inflated_surfaces_cuda({}, {}, *cuda.pool, cuda.native_stream());
  ASSERT_TRUE(empty.has_value());
  EXPECT_TRUE(empty->empty());
}

}  // namespace
}  // namespace orfeas::mesh
