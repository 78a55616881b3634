// The CUDA event timer on a real device (label gpu: fails where no device is present).
#include "orfeas/profiling/cuda/cuda_event_timer.h"

#include <cuda_runtime_api.h>

#include <gtest/gtest.h>

#include <algorithm>

#include "orfeas/profiling/profiler.h"

namespace orfeas::profiling {
namespace {

class CudaEventTimerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto timer = create_cuda_event_timer();
    ASSERT_TRUE(timer) << timer.error().message();
    timer_ = std::move(*timer);
    ASSERT_EQ(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking), cudaSuccess);
    ASSERT_EQ(cudaMalloc(&device_, kBytes), cudaSuccess);
    ASSERT_EQ(cudaMallocHost(&host_, kBytes), cudaSuccess);
  }
  void TearDown() override {
    if (host_ != nullptr) cudaFreeHost(host_);
    if (device_ != nullptr) cudaFree(device_);
    if (stream_ != nullptr) cudaStreamDestroy(stream_);
  }
  // Enough copies that the device is still busy when the scope closes.
  void enqueue_work() {
    for (int i = 0; i < 16; ++i) {
      ASSERT_EQ(cudaMemcpyAsync(device_, host_, kBytes, cudaMemcpyHostToDevice, stream_), cudaSuccess);
    }
  }

  static constexpr std::size_t kBytes = 64u << 20;
  std::unique_ptr<GpuTimer> timer_;
  cudaStream_t stream_ = nullptr;
  void* device_ = nullptr;
  void* host_ = nullptr;
};

TEST_F(CudaEventTimerTest, MeasuresStreamWorkWithoutSynchronisingInTheScope) {
  std::unique_ptr<GpuInterval> interval = timer_->begin(stream_);
  ASSERT_NE(interval, nullptr);
  enqueue_work();
  interval->end(stream_);
  // The scope is over but the copies (1 GiB) are most likely still running: nothing waited.
  const bool busy_after_end = cudaStreamQuery(stream_) == cudaErrorNotReady;
  const std::optional<double> ms = interval->elapsed_ms();
  ASSERT_TRUE(ms.has_value());
  EXPECT_GT(*ms, 0.0);
  EXPECT_EQ(cudaStreamQuery(stream_), cudaSuccess);
  RecordProperty("busy_after_end", busy_after_end ? "yes" : "no");
  RecordProperty("elapsed_ms", std::to_string(*ms));
}

TEST_F(CudaEventTimerTest, ProfilerCollectsGpuTimeAtEndPipeline) {
  Profiler::Options options;
  options.gpu_timer = std::move(timer_);
  auto profiler = std::move(*Profiler::create(std::move(options)));
  for (int round = 0; round < 3; ++round) {  // reuses pooled events
    const JobId job = profiler->begin_pipeline("gpu job");
    {
      const ActiveStageScope stage(profiler.get(), job, "shape_generation", stream_);
      enqueue_work();
    }
    auto profile = profiler->end_pipeline(job);
    ASSERT_TRUE(profile);
    ASSERT_EQ(profile->stages.size(), 1u);
    ASSERT_TRUE(profile->stages[0].gpu_ms.has_value());
    EXPECT_GT(*profile->stages[0].gpu_ms, 0.0);
  }
}

// The events belong to the stream's device, not the thread's: a stage on the last device is timed
// while device 0 is current, and device 0 stays current. Skips where one device is visible.
TEST(CudaEventTimerDevices, TimesAStreamOfTheLastDeviceWhileDeviceZeroIsCurrent) {
  int count = 0;
  ASSERT_EQ(cudaGetDeviceCount(&count), cudaSuccess);
  if (count < 2) GTEST_SKIP() << "only one CUDA device visible: nothing to tell apart (runs on multi-GPU machines)";
  const int last = count - 1;
  ASSERT_EQ(cudaSetDevice(last), cudaSuccess);
  std::size_t free_bytes = 0;
  std::size_t total_bytes = 0;
  ASSERT_EQ(cudaMemGetInfo(&free_bytes, &total_bytes), cudaSuccess);
  const std::size_t bytes = std::min<std::size_t>(free_bytes / 16, std::size_t{64} << 20);
  cudaStream_t stream = nullptr;
  void* device = nullptr;
  ASSERT_EQ(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking), cudaSuccess);
  ASSERT_EQ(cudaMalloc(&device, bytes), cudaSuccess);
  ASSERT_EQ(cudaSetDevice(0), cudaSuccess);

  auto timer = create_cuda_event_timer();
  ASSERT_TRUE(timer) << timer.error().message();
  for (int round = 0; round < 2; ++round) {  // the second round reuses the last device's events
    std::unique_ptr<GpuInterval> interval = (*timer)->begin(stream);
    ASSERT_NE(interval, nullptr) << "no event could be recorded on the last device's stream";
    for (int i = 0; i < 8; ++i) ASSERT_EQ(cudaMemsetAsync(device, i, bytes, stream), cudaSuccess);
    interval->end(stream);
    const std::optional<double> ms = interval->elapsed_ms();
    ASSERT_TRUE(ms.has_value());
    EXPECT_GT(*ms, 0.0);
    int current = -1;
    ASSERT_EQ(cudaGetDevice(&current), cudaSuccess);
    EXPECT_EQ(current, 0) << "the timer left another device current";
  }
  timer->reset();  // its events go before the stream's device is touched again
  ASSERT_EQ(cudaSetDevice(last), cudaSuccess);
  EXPECT_EQ(cudaFree(device), cudaSuccess);
  EXPECT_EQ(cudaStreamDestroy(stream), cudaSuccess);
  ASSERT_EQ(cudaSetDevice(0), cudaSuccess);
}

}  // namespace
}  // namespace orfeas::profiling
