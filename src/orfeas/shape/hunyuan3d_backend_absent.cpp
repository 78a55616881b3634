// A build without LibTorch: the Hunyuan3D-2 engine is not compiled in.
#include "orfeas/shape/hunyuan3d_backend.h"

namespace orfeas::shape {

Result<std::unique_ptr<ShapeBackend>> create_hunyuan3d_backend(const gpu::Device& /*device*/,
                                                               const Hunyuan3DSettings& /*settings*/) {
  return make_error(ErrorCode::kUnavailable,
                    "the hunyuan3d backend is not in this build: it needs LibTorch (Debian's libtorch-dev, or "
                    "CMAKE_PREFIX_PATH to a PyTorch install) when CMake runs (ORFEAS_WITH_TORCH)");
}

}  // namespace orfeas::shape
