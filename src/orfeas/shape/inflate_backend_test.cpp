#include "orfeas/shape/inflate_backend.h"

#include "orfeas/gpu/cuda_runtime.h"
#include "orfeas/gpu/host_memory_pool.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <utility>

namespace orfeas::shape {
namespace {

// A mask of the given canvas size holding the pixels whose centres lie in [inner, outer] model-units
// from the centre (inner = 0: a disc; inner > 0: an annulus).
image::Mask ring_mask(int size, float inner, float outer) {
  image::Mask mask(size, size);
  for (int y = 0; y < size; ++y) {
    for (int x = 0; x < size; ++x) {
      const float mx = (static_cast<float>(x) + 0.5F) / static_cast<float>(size) * 2.0F - 1.0F;
      const float my = 1.0F - (static_cast<float>(y) + 0.5F) / static_cast<float>(size) * 2.0F;
      const float r = std::hypot(mx, my);
      mask.at(x, y) = (r >= inner && r <= outer) ? 1 : 0;
    }
  }
  return mask;
}

ScalarVolume inflate(const image::Mask& mask, ShapeOptions options) {
  const image::ImageRgba8 canvas(mask.width, mask.height);
  auto volume = InflateBackend::generate_volume(canvas, mask, options);
  EXPECT_TRUE(volume.has_value()) << volume.error().message();
  return std::move(*volume);
}

TEST(InflateBackendTest, DiscBecomesASphere) {
  constexpr float kRadius = 0.6F;
  const ScalarVolume volume = inflate(ring_mask(512, 0.0F, kRadius), {.resolution = 96});
  ASSERT_EQ(volume.nx, 97);
  double inside = 0.0;
  Vec3f lo{1, 1, 1};
  Vec3f hi{-1, -1, -1};
  for (int k = 0; k < volume.nz; ++k) {
    for (int j = 0; j < volume.ny; ++j) {
      for (int i = 0; i < volume.nx; ++i) {
        if (volume.at(i, j, k) >= 0.0F) continue;
        inside += 1.0;
        const Vec3f p = volume.position(i, j, k);
        lo = {std::min(lo.x, p.x), std::min(lo.y, p.y), std::min(lo.z, p.z)};
        hi = {std::max(hi.x, p.x), std::max(hi.y, p.y), std::max(hi.z, p.z)};
        // Far from the sphere's surface the sign must be exact.
        ASSERT_LT(length(p), kRadius + 2.0F * volume.spacing);
      }
    }
  }
  const double cell_volume = std::pow(static_cast<double>(volume.spacing), 3.0);
  const double expected = 4.0 / 3.0 * std::numbers::pi * std::pow(kRadius, 3.0);
  EXPECT_NEAR(inside * cell_volume / expected, 1.0, 0.03);
  for (float extent : {hi.x, hi.y, hi.z, -lo.x, -lo.y, -lo.z}) EXPECT_NEAR(extent, kRadius, 1.5F * volume.spacing);
}

TEST(InflateBackendTest, FrontAndBackAreMirrorImages) {
  const ScalarVolume volume = inflate(ring_mask(128, 0.2F, 0.7F), {.resolution = 32});
  for (int k = 0; k < volume.nz; ++k) {
    for (int j = 0; j < volume.ny; ++j) {
      for (int i = 0; i < volume.nx; ++i) {
        ASSERT_FLOAT_EQ(volume.at(i, j, k), volume.at(i, j, volume.nz - 1 - k));
      }
    }
  }
}

TEST(InflateBackendTest, AnnulusKeepsItsHoleAndGetsARoundCrossSection) {
  const ScalarVolume volume = inflate(ring_mask(256, 0.3F, 0.7F), {.resolution = 64});
  const int c = volume.nx / 2;  // the centre column, in the hole
  for (int k = 0; k < volume.nz; ++k) EXPECT_GT(volume.at(c, c, k), 0.0F);
  // The ring's cross-section is a circle of radius 0.2 around x = 0.5.
  const int ring = static_cast<int>(std::lround((0.5F + 1.0F) / volume.spacing));
  EXPECT_LT(volume.at(ring, c, c), 0.0F);
  const int top = static_cast<int>(std::lround((0.15F + 1.0F) / volume.spacing));
  const int above = static_cast<int>(std::lround((0.25F + 1.0F) / volume.spacing));
  EXPECT_LT(volume.at(ring, c, top), 0.0F);
  EXPECT_GT(volume.at(ring, c, above), 0.0F);
}

TEST(InflateBackendTest, ThicknessScalesDepthOnly) {
  const ScalarVolume volume = inflate(ring_mask(256, 0.0F, 0.4F), {.resolution = 64, .thickness = 2.0F});
  const int c = volume.nx / 2;
  const auto index_of = [&](float z) { return static_cast<int>(std::lround((z + 1.0F) / volume.spacing)); };
  EXPECT_LT(volume.at(c, c, index_of(0.75F)), 0.0F);  // depth 2 × 0.4 = 0.8
  EXPECT_GT(volume.at(c, c, index_of(0.85F)), 0.0F);
  EXPECT_GT(volume.at(index_of(0.45F), c, c), 0.0F);  // width unchanged
}

TEST(InflateBackendTest, SignedDistanceHasTheOutlineOnPixelEdges) {
  image::Mask mask(16, 16);
  for (int y = 0; y < 16; ++y) {
    for (int x = 0; x < 8; ++x) mask.at(x, y) = 1;  // left half
  }
  const std::vector<float> sd = signed_distance_pixels(mask);
  EXPECT_FLOAT_EQ(sd[mask.index(7, 8)], 0.5F);
  EXPECT_FLOAT_EQ(sd[mask.index(8, 8)], -0.5F);
  EXPECT_FLOAT_EQ(sd[mask.index(3, 8)], 3.5F);  // the padded canvas edge is outline too
  EXPECT_FLOAT_EQ(sd[mask.index(12, 8)], -4.5F);
}

TEST(InflateBackendTest, RejectsBadInput) {
  const image::ImageRgba8 canvas(32, 32);
  const auto empty = InflateBackend::generate_volume(canvas, image::Mask(32, 32), {});
  ASSERT_FALSE(empty.has_value());
  EXPECT_EQ(empty.error().code(), ErrorCode::kNoForeground);

  const image::Mask full(32, 32, 1);
  const auto too_fine = InflateBackend::generate_volume(canvas, full, {.resolution = 4096});
  ASSERT_FALSE(too_fine.has_value());
  EXPECT_EQ(too_fine.error().code(), ErrorCode::kInvalidArgument);

  const auto mismatched = InflateBackend::generate_volume(image::ImageRgba8(32, 16), full, {});
  ASSERT_FALSE(mismatched.has_value());
  EXPECT_EQ(mismatched.error().code(), ErrorCode::kInvalidArgument);
}

struct HostDevice {
  std::unique_ptr<gpu::HostMemoryPool> pool;
  gpu::Device device;
};

HostDevice host_device(std::uint64_t capacity_bytes = 0) {
  auto pool = gpu::HostMemoryPool::create({.capacity_bytes = capacity_bytes});
  EXPECT_TRUE(pool.has_value());
  gpu::Device device{{gpu::DeviceKind::kCpu, 0}, pool->get(), nullptr};
  return {std::move(*pool), device};
}

image::PreprocessedImage preprocessed(image::Mask mask) {
  image::ImageRgba8 canvas(mask.width, mask.height);
  return {std::move(canvas), std::move(mask)};
}

TEST(InflateBackendTest, ABatchGivesEachItemItsVolumeOrItsError) {
  HostDevice host = host_device();
  auto backend = create_shape_backend("inflate", host.device);
  ASSERT_TRUE(backend.has_value()) << backend.error().message();
  const ShapeOptions options{.resolution = 24};
  const image::PreprocessedImage disc = preprocessed(ring_mask(96, 0.0F, 0.6F));
  const image::PreprocessedImage empty = preprocessed(image::Mask(96, 96));
  const image::PreprocessedImage ring = preprocessed(ring_mask(96, 0.3F, 0.8F));
  const image::PreprocessedImage* images[] = {&disc, &empty, &ring};
  std::vector<std::size_t> steps;
  auto volumes = (*backend)->generate(images, options, [&](std::size_t step, std::size_t total) {
    EXPECT_EQ(total, 3U);
    steps.push_back(step);
  });
  ASSERT_TRUE(volumes.has_value()) << volumes.error().message();
  ASSERT_EQ(volumes->size(), 3U);
  EXPECT_EQ(steps, (std::vector<std::size_t>{1, 2, 3}));
  ASSERT_FALSE((*volumes)[1].has_value());
  EXPECT_EQ((*volumes)[1].error().code(), ErrorCode::kNoForeground);
  for (std::size_t i : {0U, 2U}) {
    ASSERT_TRUE((*volumes)[i].has_value());
    // The pooled volume holds exactly the CPU sampler's floats.
    const ScalarVolume expected = inflate(images[i]->mask, options);
    const VolumeView view = (*volumes)[i]->host_view();
    ASSERT_EQ(view.grid.count(), expected.values.size());
    for (std::size_t v = 0; v < expected.values.size(); ++v) ASSERT_EQ(view.values[v], expected.values[v]) << v;
  }
  // The stated need covers what the pool holds for two items.
  EXPECT_LE(host.pool->stats().allocated_bytes, 2 * (*backend)->memory_need(options).per_item_bytes);
  EXPECT_EQ((*backend)->memory_need(options).weights_bytes, 0U);
}

TEST(InflateBackendTest, ABatchThatDoesNotFitIsOutOfMemoryAndHoldsNothing) {
  const ShapeOptions options{.resolution = 64};
  const std::uint64_t per_item = inflate_memory_need(options).per_item_bytes;
  HostDevice host = host_device(2 * per_item);
  auto backend = create_shape_backend("inflate", host.device);
  ASSERT_TRUE(backend.has_value());
  const image::PreprocessedImage disc = preprocessed(ring_mask(96, 0.0F, 0.6F));
  const std::vector<const image::PreprocessedImage*> five(5, &disc);
  auto volumes = (*backend)->generate(five, options);
  ASSERT_FALSE(volumes.has_value());
  EXPECT_EQ(volumes.error().code(), ErrorCode::kOutOfMemory);
  EXPECT_EQ(host.pool->stats().allocated_bytes, 0U);
  const std::vector<const image::PreprocessedImage*> two(2, &disc);
  EXPECT_TRUE((*backend)->generate(two, options).has_value());
}

TEST(InflateFieldTest, GenerateIsFieldThenSample) {
  for (const auto& [mask, options] :
       {std::pair{ring_mask(128, 0.0F, 0.6F), ShapeOptions{.resolution = 40}},
        std::pair{ring_mask(200, 0.25F, 0.8F), ShapeOptions{.resolution = 57, .thickness = 0.5F}},
        std::pair{image::Mask(64, 64, 1), ShapeOptions{.resolution = 16, .thickness = 3.0F}}}) {
    const image::ImageRgba8 canvas(mask.width, mask.height);
    const auto field = compute_inflate_field(canvas, mask, options);
    ASSERT_TRUE(field.has_value()) << field.error().message();
    const ScalarVolume sampled = sample_inflate_volume(*field);
    const ScalarVolume generated = inflate(mask, options);
    ASSERT_EQ(sampled.nx, generated.nx);
    EXPECT_EQ(sampled.origin, generated.origin);
    EXPECT_EQ(sampled.spacing, generated.spacing);
    ASSERT_EQ(sampled.values.size(), generated.values.size());
    for (std::size_t i = 0; i < sampled.values.size(); ++i) {
      ASSERT_EQ(std::bit_cast<std::uint32_t>(sampled.values[i]), std::bit_cast<std::uint32_t>(generated.values[i]))
          << "value " << i;
    }
  }
}

TEST(InflateFieldTest, DescribesTheGridAndTheFormula) {
  constexpr float kRadius = 0.5F;
  const image::Mask mask = ring_mask(256, 0.0F, kRadius);
  const auto field = compute_inflate_field(image::ImageRgba8(256, 256), mask, {.resolution = 32, .thickness = 2.0F});
  ASSERT_TRUE(field.has_value()) << field.error().message();
  EXPECT_EQ(field->points, 33);
  EXPECT_EQ(field->spacing, 2.0F / 32.0F);
  EXPECT_EQ(field->origin, (Vec3f{-1.0F, -1.0F, -1.0F}));
  EXPECT_EQ(field->inv_thickness, 0.5F);
  EXPECT_NEAR(field->inradius, kRadius, 4.0F / 256.0F);  // within two pixels
  ASSERT_EQ(field->radial_sq.size(), 33U * 33U);
  const ScalarVolume volume = sample_inflate_volume(*field);
  for (int k = 0; k < volume.nz; k += 5) {
    for (int j = 0; j < volume.ny; j += 3) {
      for (int i = 0; i < volume.nx; i += 2) {
        const double z = volume.position(i, j, k).z * 0.5;
        const double expected =
            std::sqrt(z * z + field->radial_sq[static_cast<std::size_t>(j) * 33U + static_cast<std::size_t>(i)]) -
            field->inradius;
        ASSERT_NEAR(volume.at(i, j, k), expected, 1e-5);
      }
    }
  }
}

TEST(InflateFieldTest, RejectsLikeGenerate) {
  const auto empty = compute_inflate_field(image::ImageRgba8(32, 32), image::Mask(32, 32), {});
  ASSERT_FALSE(empty.has_value());
  EXPECT_EQ(empty.error().code(), ErrorCode::kNoForeground);
  const auto mismatched = compute_inflate_field(image::ImageRgba8(32, 16), image::Mask(32, 32, 1), {});
  ASSERT_FALSE(mismatched.has_value());
  EXPECT_EQ(mismatched.error().code(), ErrorCode::kInvalidArgument);
}

TEST(ShapeBackendTest, FactoryKnowsInflateAndHunyuan3D) {
  HostDevice host = host_device();
  auto backend = create_shape_backend("inflate", host.device);
  ASSERT_TRUE(backend.has_value());
  EXPECT_EQ((*backend)->name(), "inflate");
  EXPECT_FALSE((*backend)->device().is_cuda());
  const auto unknown = create_shape_backend("hunyuan9", host.device);
  ASSERT_FALSE(unknown.has_value());
  EXPECT_NE(unknown.error().message().find("hunyuan9"), std::string::npos);
  EXPECT_EQ(shape_backend_names(), (std::vector<std::string>{"inflate", "hunyuan3d"}));
  // hunyuan3d needs a model folder (or, in a build without LibTorch, is not there at all).
  const auto no_model = create_shape_backend("hunyuan3d", host.device);
  ASSERT_FALSE(no_model.has_value());
  EXPECT_TRUE(no_model.error().code() == ErrorCode::kInvalidArgument ||
              no_model.error().code() == ErrorCode::kUnavailable)
      << no_model.error().message();
}

TEST(ShapeBackendTest, CudaWithoutCudaIsUnavailable) {
  if (gpu::cuda_compiled_in()) GTEST_SKIP() << "this build has CUDA: the gpu-labelled tests cover that device";
  HostDevice host = host_device();
  gpu::Device cuda = host.device;
  cuda.spec = {gpu::DeviceKind::kCuda, 0};
  const auto backend = create_shape_backend("inflate", cuda);
  ASSERT_FALSE(backend.has_value());
  EXPECT_EQ(backend.error().code(), ErrorCode::kUnavailable);
  EXPECT_NE(backend.error().message().find("cuda:0"), std::string::npos) << backend.error().message();
}

}  // namespace
}  // namespace orfeas::shape
