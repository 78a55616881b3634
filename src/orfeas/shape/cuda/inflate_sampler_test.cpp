// gpu label: the CUDA sampler against sample_inflate_volume(), bit for bit.
#include "orfeas/shape/cuda/inflate_sampler.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>

#include "orfeas/gpu/cuda/device_volume_cuda.h"
#include "orfeas/mesh/cuda/cuda_test_support.h"

namespace orfeas::shape {
namespace {

using mesh::testing::require_cuda;
using mesh::testing::volumes_identical;

// Disc or annulus (inner > 0), optionally squashed in x; centre at (cx, cy) in model units.
image::Mask ring_mask(int size, float inner, float outer, float squash = 1.0F, float cx = 0.0F, float cy = 0.0F) {
  image::Mask mask(size, size);
  for (int y = 0; y < size; ++y) {
    for (int x = 0; x < size; ++x) {
      const float mx = (static_cast<float>(x) + 0.5F) / static_cast<float>(size) * 2.0F - 1.0F - cx;
      const float my = 1.0F - (static_cast<float>(y) + 0.5F) / static_cast<float>(size) * 2.0F - cy;
      const float r = std::hypot(mx * squash, my);
      mask.at(x, y) = (r >= inner && r <= outer) ? 1 : 0;
    }
  }
  return mask;
}

// A ragged blob: random discs, some touching the canvas edge.
image::Mask blob_mask(int size, unsigned seed) {
  image::Mask mask(size, size);
  std::mt19937 random(seed);
  std::uniform_real_distribution<float> centre(-1.0F, 1.0F);
  std::uniform_real_distribution<float> radius(0.05F, 0.35F);
  for (int disc = 0; disc < 12; ++disc) {
    const image::Mask one = ring_mask(size, 0.0F, radius(random), 1.0F, centre(random), centre(random));
    for (std::size_t i = 0; i < mask.values.size(); ++i) mask.values[i] |= one.values[i];
  }
  return mask;
}

InflateField field_of(const image::Mask& mask, ShapeOptions options) {
  auto field = compute_inflate_field(image::ImageRgba8(mask.width, mask.height), mask, options);
  EXPECT_TRUE(field.has_value()) << field.error().message();
  return field ? std::move(*field) : InflateField{};
}

TEST(GpuInflateSampler, EqualsTheCpuBitForBit) {
  auto cuda = require_cuda();
  ASSERT_TRUE(cuda.ready());
  struct Case {
    std::string name;
    image::Mask mask;
    ShapeOptions options;
  };
  const Case cases[] = {
      {"disc r64 t1", ring_mask(256, 0.0F, 0.6F), {.resolution = 64, .thickness = 1.0F}},
      {"annulus r97 t0.5", ring_mask(300, 0.3F, 0.8F), {.resolution = 97, .thickness = 0.5F}},
      {"full canvas r33 t3.7", image::Mask(64, 64, 1), {.resolution = 33, .thickness = 3.7F}},
      {"blob r128 t1.3", blob_mask(512, 5), {.resolution = 128, .thickness = 1.3F}},
      {"ellipse r256 t2", ring_mask(512, 0.0F, 0.7F, 1.6F), {.resolution = 256, .thickness = 2.0F}},
      {"tiny r8 t0.1", ring_mask(16, 0.0F, 0.9F), {.resolution = 8, .thickness = 0.1F}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const InflateField field = field_of(c.mask, c.options);
    const ScalarVolume cpu = sample_inflate_volume(field);
    auto device = sample_inflate_volume_cuda(field, *cuda.pool, cuda.native_stream());
    ASSERT_TRUE(device.has_value()) << device.error().message();
    EXPECT_EQ(device->nx, field.points);
    auto gpu = gpu::download_volume_cuda(*device, cuda.native_stream());
    ASSERT_TRUE(gpu.has_value()) << gpu.error().message();
    EXPECT_TRUE(volumes_identical(cpu, *gpu));
  }
  EXPECT_EQ(cuda.pool->stats().allocated_bytes, 0U) << "every device buffer went back to the pool";
}

TEST(GpuInflateSampler, RejectsMalformedFields) {
  auto cuda = require_cuda();
  ASSERT_TRUE(cuda.ready());
  InflateField field;
  field.points = 1;
  auto tiny = sample_inflate_volume_cuda(field, *cuda.pool, cuda.native_stream());
  ASSERT_FALSE(tiny.has_value());
  EXPECT_EQ(tiny.error().code(), ErrorCode::kInvalidArgument);
  field.points = 9;
  field.spacing = 0.25F;
  field.radial_sq.assign(80, 0.0F);  // 81 needed
  auto short_columns = sample_inflate_volume_cuda(field, *cuda.pool, cuda.native_stream());
  ASSERT_FALSE(short_columns.has_value());
  EXPECT_EQ(short_columns.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(cuda.pool->stats().allocated_bytes, 0U);
}

}  // namespace
}  // namespace orfeas::shape
