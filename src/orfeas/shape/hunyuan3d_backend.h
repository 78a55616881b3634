// Shape backend `hunyuan3d`: the native Hunyuan3D-2 engine (engine/hunyuan3d_pipeline.h) behind
// the ShapeBackend interface, so the CLI and the service run it through the one pipeline.
//
//   ShapeOptions options;
//   options.resolution = 384;                                    // the octree resolution
//   options.hunyuan3d.model_dir = "weights/hunyuan3d-dit-v2-0";
//   ORFEAS_ASSIGN_OR_RETURN(auto backend, create_shape_backend("hunyuan3d", device, options));
//
// Each image's cut-out (PreprocessedImage::cutout: the pipeline keeps it for this backend) is
// framed as the reference frames it (border 0.15, 512 px, white), the batch is conditioned,
// sampled and decoded together, and each logit grid becomes a volume of the pool: negated (the
// project's volumes are negative inside; the hierarchical decoder's unevaluated points take their
// coarse level's value), over [−1.01, 1.01]³ with the
// reference's vertex scaling (grid index i at −1.01 + i·2.02/(R+1)).
// The weights are loaded when the backend is created and shared by every backend of the process
// that names the same folder, device and dtype. Builds without LibTorch answer kUnavailable.
// Thread-safety: as ShapeBackend.
#pragma once

#include <memory>
#include <string_view>

#include "orfeas/shape/shape_backend.h"

namespace orfeas::shape {

inline constexpr std::string_view kHunyuan3DBackendName = "hunyuan3d";

[[nodiscard]] Result<std::unique_ptr<ShapeBackend>> create_hunyuan3d_backend(const gpu::Device& device,
                                                                             const Hunyuan3DSettings& settings);

}  // namespace orfeas::shape
