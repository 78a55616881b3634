#include "orfeas/profiling/cuda/cuda_event_timer.h"

#include <cuda_runtime_api.h>

#include <mutex>
#include <unordered_map>
#include <utility>
#include <vector>

#include "orfeas/gpu/cuda/cuda_check.h"

namespace orfeas::profiling {
namespace {

using gpu::cuda::DeviceGuard;

// Timing events, reused: creating an event costs a driver call, recording one does not.
// Keyed by device because an event can only be recorded on streams of its own device; every call
// runs with that device current.
class EventPool {
 public:
  EventPool() = default;
  EventPool(const EventPool&) = delete;
  EventPool& operator=(const EventPool&) = delete;
  ~EventPool() {
    for (auto& [device, events] : free_) {
      const DeviceGuard guard(device);
      for (cudaEvent_t event : events) {
        if (cudaEventDestroy(event) != cudaSuccess) static_cast<void>(cudaGetLastError());
      }
    }
  }

  // nullptr when the driver refuses (the stage then has no GPU time). `device` must be current.
  cudaEvent_t acquire(int device) {
    {
      const std::lock_guard lock(mutex_);
      std::vector<cudaEvent_t>& events = free_[device];
      if (!events.empty()) {
        cudaEvent_t event = events.back();
        events.pop_back();
        return event;
      }
    }
    cudaEvent_t event = nullptr;
    // Blocking sync: end_pipeline's wait sleeps instead of spinning a core. Timing stays enabled.
    if (cudaEventCreateWithFlags(&event, cudaEventBlockingSync) != cudaSuccess) {
      static_cast<void>(cudaGetLastError());  // do not leave our failure for the caller's checks
      return nullptr;
    }
    return event;
  }

  void release(int device, cudaEvent_t event) {
    if (event == nullptr) return;
    const std::lock_guard lock(mutex_);
    free_[device].push_back(event);
  }

 private:
  std::mutex mutex_;
  std::unordered_map<int, std::vector<cudaEvent_t>> free_;  // guarded by mutex_
};

// Owns a start and a stop event (returned to the pool when destroyed).
class CudaEventInterval final : public GpuInterval {
 public:
  CudaEventInterval(std::shared_ptr<EventPool> pool, int device, cudaEvent_t start, cudaEvent_t stop)
      : pool_(std::move(pool)), device_(device), start_(start), stop_(stop) {}
  ~CudaEventInterval() override {
    pool_->release(device_, start_);
    pool_->release(device_, stop_);
  }

  void end(void* stream) override {
    const DeviceGuard guard(device_);
    if (guard.error() == cudaSuccess && cudaEventRecord(stop_, static_cast<cudaStream_t>(stream)) == cudaSuccess) {
      ended_ = true;
    } else {
      static_cast<void>(cudaGetLastError());
    }
  }

  std::optional<double> elapsed_ms() override {
    if (!ended_) return std::nullopt;
    // Returns at once when the device is past the stop event; otherwise this is the one wait.
    const DeviceGuard guard(device_);
    float ms = 0.0f;
    if (guard.error() != cudaSuccess || cudaEventSynchronize(stop_) != cudaSuccess ||
        cudaEventElapsedTime(&ms, start_, stop_) != cudaSuccess) {
      static_cast<void>(cudaGetLastError());
      return std::nullopt;
    }
    return static_cast<double>(ms);
  }

 private:
  std::shared_ptr<EventPool> pool_;  // shared: intervals may outlive the timer
  int device_;
  cudaEvent_t start_;
  cudaEvent_t stop_;
  bool ended_ = false;
};

class CudaEventTimer final : public GpuTimer {
 public:
  std::unique_ptr<GpuInterval> begin(void* stream) override {
    // The stream's device, not the thread's: the events must belong to it.
    const Result<int> device = gpu::cuda::stream_device(static_cast<cudaStream_t>(stream));
    if (!device) return nullptr;
    const DeviceGuard guard(*device);
    if (guard.error() != cudaSuccess) return nullptr;
    return begin_on(*device, stream);
  }

 private:
  std::unique_ptr<GpuInterval> begin_on(int device, void* stream) {
    cudaEvent_t start = pool_->acquire(device);
    cudaEvent_t stop = pool_->acquire(device);
    auto interval = std::make_unique<CudaEventInterval>(pool_, device, start, stop);
    if (start == nullptr || stop == nullptr) return nullptr;  // interval returns what it got
    if (cudaEventRecord(start, static_cast<cudaStream_t>(stream)) != cudaSuccess) {
      static_cast<void>(cudaGetLastError());
      return nullptr;
    }
    return interval;
  }

  std::shared_ptr<EventPool> pool_ = std::make_shared<EventPool>();
};

}  // namespace

Result<std::unique_ptr<GpuTimer>> create_cuda_event_timer() {
  int count = 0;
  ORFEAS_RETURN_IF_ERROR_CTX(gpu::cuda::check(cudaGetDeviceCount(&count), "cudaGetDeviceCount"),
                             "CUDA event timer: no usable CUDA device");
  if (count == 0) return make_error(ErrorCode::kUnavailable, "CUDA event timer: no usable CUDA device (0 devices)");
  return std::unique_ptr<GpuTimer>(std::make_unique<CudaEventTimer>());
}

}  // namespace orfeas::profiling
