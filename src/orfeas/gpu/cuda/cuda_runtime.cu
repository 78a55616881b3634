// cuda_runtime.h with CUDA: device count, synchronisation, streams.
#include "orfeas/gpu/cuda_runtime.h"
#include "orfeas/gpu/cuda/cuda_check.h"

namespace orfeas::gpu {
namespace cuda {

std::string cuda_message(int device, std::string_view call, cudaError_t error) {
  return "cuda:" + std::to_string(device) + ": " + std::string(call) + ": " + cudaGetErrorString(error) + " (" +
         cudaGetErrorName(error) + ")";
}

Status cuda_status(int device, std::string_view call, cudaError_t error) {
  if (error == cudaSuccess) return ok();
  (void)cudaGetLastError();  // clear the (non-sticky) error so the next call starts clean
  ErrorCode code = ErrorCode::kInternal;
  if (error == cudaErrorMemoryAllocation) code = ErrorCode::kOutOfMemory;
  if (error == cudaErrorNoDevice || error == cudaErrorInsufficientDriver || error == cudaErrorInvalidDevice) {
    code = ErrorCode::kUnavailable;
  }
  return make_error(code, cuda_message(device, call, error));
}

DeviceGuard::DeviceGuard(int device) {
  if (cudaGetDevice(&previous_) != cudaSuccess) {
    previous_ = -1;
    (void)cudaGetLastError();
  }
  error_ = previous_ == device ? cudaSuccess : cudaSetDevice(device);
}

DeviceGuard::~DeviceGuard() {
  if (previous_ >= 0 && error_ == cudaSuccess) (void)cudaSetDevice(previous_);
}

namespace {

class CudaStream final : public Stream {
 public:
  CudaStream(int device, cudaStream_t stream) : device_(device), stream_(stream) {}
  ~CudaStream() override {
    const DeviceGuard guard(device_);
    (void)cudaStreamDestroy(stream_);
  }
  [[nodiscard]] void* native() const override { return static_cast<void*>(stream_); }
  [[nodiscard]] int device() const override { return device_; }
  [[nodiscard]] Status synchronize() override {
    const DeviceGuard guard(device_);
    return cuda_status(device_, "cudaStreamSynchronize", cudaStreamSynchronize(stream_));
  }

 private:
  const int device_;
  cudaStream_t stream_;
};

}  // namespace
}  // namespace cuda

bool cuda_compiled_in() { return true; }

int cuda_device_count() {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    (void)cudaGetLastError();
    return 0;
  }
  return count;
}

Result<CudaMemoryInfo> cuda_memory_info(int device) {
  const cuda::DeviceGuard guard(device);
  ORFEAS_RETURN_IF_ERROR(cuda::cuda_status(device, "cudaSetDevice", guard.error()));
  std::size_t free_bytes = 0;
  std::size_t total_bytes = 0;
  ORFEAS_RETURN_IF_ERROR(cuda::cuda_status(device, "cudaMemGetInfo", cudaMemGetInfo(&free_bytes, &total_bytes)));
  return CudaMemoryInfo{free_bytes, total_bytes};
}

Status cuda_synchronize(int device) {
  const cuda::DeviceGuard guard(device);
  ORFEAS_RETURN_IF_ERROR(cuda::cuda_status(device, "cudaSetDevice", guard.error()));
  return cuda::cuda_status(device, "cudaDeviceSynchronize", cudaDeviceSynchronize());
}

Result<std::unique_ptr<Stream>> create_cuda_stream(int device) {
  const cuda::DeviceGuard guard(device);
  ORFEAS_RETURN_IF_ERROR(cuda::cuda_status(device, "cudaSetDevice", guard.error()));
  cudaStream_t stream = nullptr;
  ORFEAS_RETURN_IF_ERROR(
      cuda::cuda_status(device, "cudaStreamCreateWithFlags", cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking)));
  return std::unique_ptr<Stream>(new cuda::CudaStream(device, stream));
}

}  // namespace orfeas::gpu
