#include "orfeas/gpu/device.h"

#include <gtest/gtest.h>

#include "orfeas/gpu/device_volume.h"
#include "orfeas/gpu/host_memory_pool.h"

namespace orfeas::gpu {
namespace {

TEST(GpuDevice, ParsesCpuCudaAndAnOrdinal) {
  auto cpu = parse_device("cpu");
  ASSERT_TRUE(cpu.has_value());
  EXPECT_EQ(cpu->kind, DeviceKind::kCpu);
  auto cuda = parse_device("cuda");
  ASSERT_TRUE(cuda.has_value());
  EXPECT_EQ(cuda->kind, DeviceKind::kCuda);
  EXPECT_EQ(cuda->ordinal, 0);
  auto third = parse_device("cuda:2");
  ASSERT_TRUE(third.has_value());
  EXPECT_EQ(third->ordinal, 2);
  EXPECT_EQ(device_name(*third), "cuda:2");
  EXPECT_EQ(device_name(*cpu), "cpu");
}

TEST(GpuDevice, RejectsAnythingElse) {
  for (const char* text : {"", "gpu", "cuda:", "cuda:-1", "cuda:1x", "CPU", "cuda:99999999999"}) {
    auto parsed = parse_device(text);
    ASSERT_FALSE(parsed.has_value()) << text;
    EXPECT_EQ(parsed.error().code(), ErrorCode::kInvalidArgument);
  }
}

TEST(GpuDeviceVolume, ComesFromThePoolAndGoesBack) {
  auto pool = HostMemoryPool::create({});
  ASSERT_TRUE(pool.has_value());
  {
    auto volume = allocate_volume(GridGeometry::unit_cube(33), **pool);
    ASSERT_TRUE(volume.has_value());
    EXPECT_EQ(volume->count(), 33U * 33U * 33U);
    EXPECT_GE((*pool)->stats().allocated_bytes, 33U * 33U * 33U * sizeof(float));
    volume->data()[volume->count() - 1] = 1.5F;
    EXPECT_EQ(volume->host_view().at(32, 32, 32), 1.5F);
  }
  EXPECT_EQ((*pool)->stats().allocated_bytes, 0U);
}

TEST(GpuDeviceVolume, APoolAtCapacityIsOutOfMemory) {
  auto pool = HostMemoryPool::create({.capacity_bytes = std::uint64_t{1} << 20});
  ASSERT_TRUE(pool.has_value());
  auto volume = allocate_volume(GridGeometry::unit_cube(129), **pool);  // 8.6 MB
  ASSERT_FALSE(volume.has_value());
  EXPECT_EQ(volume.error().code(), ErrorCode::kOutOfMemory);
}

}  // namespace
}  // namespace orfeas::gpu
