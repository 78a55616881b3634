#include "orfeas/gpu/cuda/device_volume_cuda.h"

#include "orfeas/gpu/cuda/cuda_check.h"

namespace orfeas::gpu {

Result<DeviceScalarVolume> upload_volume_cuda(const ScalarVolume& volume, MemoryPool& pool, void* stream) {
  DeviceScalarVolume device{static_cast<const GridGeometry&>(volume), {}};
  if (volume.values.size() != device.count() || device.count() == 0) {
    return make_error(ErrorCode::kInvalidArgument, "upload_volume_cuda: the volume's values do not match its size");
  }
  ORFEAS_ASSIGN_OR_RETURN(device.values, pool.allocate(device.count() * sizeof(float)));
  const auto cuda_stream = static_cast<cudaStream_t>(stream);
  ORFEAS_RETURN_IF_ERROR(
      gpu::cuda::check(cudaMemcpyAsync(device.values.data(), volume.values.data(), device.count() * sizeof(float),
                                       cudaMemcpyHostToDevice, cuda_stream),
                       "upload_volume_cuda"));
  // The host buffer may be freed as soon as we return; and the caller expects a finished copy.
  ORFEAS_RETURN_IF_ERROR(gpu::cuda::check(cudaStreamSynchronize(cuda_stream), "upload_volume_cuda"));
  return device;
}

Result<ScalarVolume> download_volume_cuda(const DeviceScalarVolume& volume, void* stream) {
  if (volume.values.empty() || volume.values.bytes() < volume.count() * sizeof(float)) {
    return make_error(ErrorCode::kInvalidArgument, "download_volume_cuda: the device volume holds no values");
  }
  ScalarVolume host(volume.nx, volume.ny, volume.nz, volume.origin, volume.spacing);
  const auto cuda_stream = static_cast<cudaStream_t>(stream);
  ORFEAS_RETURN_IF_ERROR(
      gpu::cuda::check(cudaMemcpyAsync(host.values.data(), volume.values.data(), volume.count() * sizeof(float),
                                       cudaMemcpyDeviceToHost, cuda_stream),
                       "download_volume_cuda"));
  ORFEAS_RETURN_IF_ERROR(gpu::cuda::check(cudaStreamSynchronize(cuda_stream), "download_volume_cuda"));
  return host;
}

}  // namespace orfeas::gpu
