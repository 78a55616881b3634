// A build without CUDA: the built-in backend runs on the CPU only.
#include "orfeas/shape/inflate_backend.h"

namespace orfeas::shape {

Result<std::unique_ptr<ShapeBackend>> create_inflate_backend_cuda(const gpu::Device& device) {
  return make_error(ErrorCode::kUnavailable, "the inflate backend cannot run on " + gpu::device_name(device.spec) +
                                                 ": this build has no CUDA support");
}

}  // namespace orfeas::shape
