#include "orfeas/gpu/memory_model.h"

#include <gtest/gtest.h>

namespace orfeas::gpu {
namespace {

TEST(GpuMemoryModel, BuiltInBackendAt256) {
  const MemoryEstimate e = estimate_memory({.backend = "inflate", .grid_resolution = 256});
  EXPECT_EQ(e.volume_bytes, 4ULL * 257 * 257 * 257);  // 67 898 372
  EXPECT_EQ(e.classification_bytes, 4ULL * 257 * 257 + 16ULL * (258 * 258 + 1));
  EXPECT_EQ(e.surface_bytes, 144ULL * 256 * 256);
  EXPECT_EQ(e.activation_bytes, 0u);
  EXPECT_EQ(e.weights_bytes, 0u);
  EXPECT_EQ(e.per_item_bytes(), 67'898'372ULL + 264'196 + 1'065'040 + 9'437'184 + (5ULL << 20));
  EXPECT_EQ(e.batch_bytes(3), 3 * e.per_item_bytes());
}

TEST(GpuMemoryModel, GrowsWithResolutionCubed) {
  const auto at = [](std::uint32_t r) { return estimate_memory({.grid_resolution = r}).per_item_bytes() - kItemOverheadBytes; };
  const double ratio = static_cast<double>(at(512)) / static_cast<double>(at(256));
  EXPECT_GT(ratio, 7.0);
  EXPECT_LT(ratio, 8.1);
}

TEST(GpuMemoryModel, NeuralBackendCountsWeightsOnceAndActivationsPerItem) {
  JobConfig config{.backend = "hunyuan3d", .grid_resolution = 384, .chunk_size = 8000,
                   .model_parameters = 1'100'000'000, .dtype_bytes = 2, .steps = 30};
  const MemoryEstimate e = estimate_memory(config);
  EXPECT_EQ(e.weights_bytes, 2'200'000'000u);
  EXPECT_EQ(e.activation_bytes, 8000ULL * 4096 * 2);
  EXPECT_EQ(e.batch_bytes(4), e.weights_bytes + 4 * e.per_item_bytes());
  config.weights_resident = true;
  EXPECT_EQ(estimate_memory(config).weights_bytes, 0u);
  config.steps = 50;  // steps change time, not memory
  EXPECT_EQ(estimate_memory(config).per_item_bytes(), e.per_item_bytes());
}

TEST(GpuMemoryModel, KeyNamesEveryDimension) {
  EXPECT_EQ(config_key({}), "inflate/r256/c0/d4/s0");
  EXPECT_EQ(config_key({.backend = "hunyuan3d", .grid_resolution = 384, .chunk_size = 8000, .dtype_bytes = 2, .steps = 30}),
            "hunyuan3d/r384/c8000/d2/s30");
}

}  // namespace
}  // namespace orfeas::gpu
