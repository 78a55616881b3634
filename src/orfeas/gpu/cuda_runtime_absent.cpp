// cuda_runtime.h for builds without CUDA: no devices, and factories that say so.
#include "orfeas/gpu/cuda_runtime.h"

#include <fmt/format.h>

namespace orfeas::gpu {
namespace {

tl::unexpected<Error> not_built(int device) {
  return make_error(ErrorCode::kUnavailable,
                    fmt::format("cuda:{}: this build has no CUDA support (ORFEAS_WITH_CUDA=OFF)", device));
}

}  // namespace

bool cuda_compiled_in() {
  return false;
}
int cuda_device_count() {
  return 0;
}
Result<std::vector<CudaDeviceIdentity>> cuda_device_identities() {
  return std::vector<CudaDeviceIdentity>{};
}
Result<CudaMemoryInfo> cuda_memory_info(int device) {
  return not_built(device);
}
Status cuda_synchronize(int device) {
  return not_built(device);
}
Result<std::unique_ptr<Stream>> create_cuda_stream(int device) {
  return not_built(device);
}
Result<std::unique_ptr<MemoryPool>> create_cuda_memory_pool(int device) {
  return not_built(device);
}

}  // namespace orfeas::gpu
