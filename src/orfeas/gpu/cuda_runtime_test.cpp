// cuda_runtime.h on a machine without a GPU (the unit-test machines): nothing crashes, every
// entry point reports kUnavailable.
#include "orfeas/gpu/cuda_runtime.h"

#include <gtest/gtest.h>

namespace orfeas::gpu {
namespace {

TEST(GpuCudaRuntime, NoDeviceMeansUnavailableNotACrash) {
  if (cuda_device_count() > 0) GTEST_SKIP() << "a CUDA device is present; see orfeas_gpu_device_test";
  auto pool = create_cuda_memory_pool(0);
  ASSERT_FALSE(pool);
  EXPECT_EQ(pool.error().code(), ErrorCode::kUnavailable) << pool.error().message();
  auto stream = create_cuda_stream(0);
  ASSERT_FALSE(stream);
  auto info = cuda_memory_info(0);
  ASSERT_FALSE(info);
  EXPECT_FALSE(cuda_synchronize(0));
}

TEST(GpuCudaRuntime, NegativeDeviceIsRejected) {
  auto pool = create_cuda_memory_pool(-1);
  ASSERT_FALSE(pool);
  EXPECT_EQ(pool.error().code(), ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace orfeas::gpu
