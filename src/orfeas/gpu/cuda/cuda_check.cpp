#include "orfeas/gpu/cuda/cuda_check.h"

#include <fmt/format.h>

namespace orfeas::gpu::cuda {
namespace {

std::string cuda_words(cudaError_t error) {
  return fmt::format("{} ({})", cudaGetErrorString(error), cudaGetErrorName(error));
}

}  // namespace

ErrorCode cuda_error_code(cudaError_t error) {
  switch (error) {
    case cudaErrorMemoryAllocation:
      return ErrorCode::kOutOfMemory;
    case cudaErrorNoDevice:
    case cudaErrorInvalidDevice:
    case cudaErrorInsufficientDriver:
    case cudaErrorInitializationError:
    case cudaErrorDevicesUnavailable:
    case cudaErrorSystemNotReady:
    case cudaErrorSystemDriverMismatch:
    case cudaErrorCompatNotSupportedOnDevice:
      return ErrorCode::kUnavailable;
    default:
      return ErrorCode::kInternal;
  }
}

std::string cuda_message(int device, std::string_view call, cudaError_t error) {
  return fmt::format("cuda:{}: {}: {}", device, call, cuda_words(error));
}

Status cuda_status(int device, std::string_view call, cudaError_t error) {
  if (error == cudaSuccess) return ok();
  (void)cudaGetLastError();  // clear the (non-sticky) error so the next call starts clean
  return make_error(cuda_error_code(error), cuda_message(device, call, error));
}

Status check(cudaError_t error, std::string_view what) {
  if (error == cudaSuccess) return ok();
  (void)cudaGetLastError();
  return make_error(cuda_error_code(error), fmt::format("{}: {}", what, cuda_words(error)));
}

Status check_launch(std::string_view kernel) {
  return check(cudaGetLastError(), kernel);
}

DeviceGuard::DeviceGuard(int device) {
  if (cudaGetDevice(&previous_) != cudaSuccess) {
    previous_ = -1;
    (void)cudaGetLastError();
  }
  if (previous_ == device) return;
  error_ = cudaSetDevice(device);
  if (error_ == cudaSuccess) {
    switched_ = true;
  } else {
    (void)cudaGetLastError();  // the caller reads error(); leave nothing behind for its next check
  }
}

DeviceGuard::~DeviceGuard() {
  if (switched_ && previous_ >= 0 && cudaSetDevice(previous_) != cudaSuccess) (void)cudaGetLastError();
}

Result<int> stream_device(cudaStream_t stream) {
  int device = 0;
#if CUDART_VERSION >= 12080
  if (stream != nullptr) {
    ORFEAS_RETURN_IF_ERROR(check(cudaStreamGetDevice(stream, &device), "cudaStreamGetDevice"));
    return device;
  }
#else
  (void)stream;
#endif
  ORFEAS_RETURN_IF_ERROR(check(cudaGetDevice(&device), "cudaGetDevice"));
  return device;
}

StreamFence::~StreamFence() {
  if (cudaStreamSynchronize(stream_) != cudaSuccess) (void)cudaGetLastError();
}

Status StreamFence::wait(std::string_view what) const {
  return check(cudaStreamSynchronize(stream_), what);
}

}  // namespace orfeas::gpu::cuda
