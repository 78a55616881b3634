// cuda_runtime.h with CUDA: device count and identities, synchronisation, streams.
#include "orfeas/gpu/cuda_runtime.h"

#include <algorithm>
#include <array>
#include <cctype>

#include <fmt/format.h>

#include "orfeas/gpu/cuda/cuda_check.h"

namespace orfeas::gpu {
namespace cuda {
namespace {

class CudaStream final : public Stream {
 public:
  CudaStream(int device, cudaStream_t stream) : device_(device), stream_(stream) {}
  ~CudaStream() override {
    const DeviceGuard guard(device_);
    if (cudaStreamDestroy(stream_) != cudaSuccess) (void)cudaGetLastError();
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

// NVML's spelling of a board's UUID: "GPU-" and the 16 bytes as 8-4-4-4-12 lower-case hex digits.
std::string uuid_string(const cudaUUID_t& uuid) {
  const auto* b = reinterpret_cast<const unsigned char*>(uuid.bytes);
  return fmt::format(
      "GPU-{:02x}{:02x}{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}", b[0],
      b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

}  // namespace
}  // namespace cuda

bool cuda_compiled_in() {
  return true;
}

int cuda_device_count() {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    (void)cudaGetLastError();
    return 0;
  }
  return count;
}

Result<std::vector<CudaDeviceIdentity>> cuda_device_identities() {
  const int count = cuda_device_count();
  std::vector<CudaDeviceIdentity> identities;
  identities.reserve(static_cast<std::size_t>(count));
  for (int device = 0; device < count; ++device) {
    cudaDeviceProp properties{};
    ORFEAS_RETURN_IF_ERROR(
        cuda::cuda_status(device, "cudaGetDeviceProperties", cudaGetDeviceProperties(&properties, device)));
    std::array<char, 32> bus_id{};  // "0000:3B:00.0"
    ORFEAS_RETURN_IF_ERROR(cuda::cuda_status(device, "cudaDeviceGetPCIBusId",
                                             cudaDeviceGetPCIBusId(bus_id.data(), bus_id.size(), device)));
    std::string bus(bus_id.data());
    std::transform(bus.begin(), bus.end(), bus.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    identities.push_back({device, cuda::uuid_string(properties.uuid), std::move(bus)});
  }
  return identities;
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
  ORFEAS_RETURN_IF_ERROR(cuda::cuda_status(device, "cudaStreamCreateWithFlags",
                                           cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking)));
  return std::unique_ptr<Stream>(new cuda::CudaStream(device, stream));
}

}  // namespace orfeas::gpu
