// Stage `texture_synthesis` (built-in): vertex colours projected from the front image.
//
//   ORFEAS_RETURN_IF_ERROR(synthesize_vertex_colors(mesh, pre.canvas, pre.mask));
//
// Each vertex takes the canvas colour under it along the view axis (orthographic, z towards the
// viewer), so the back of the object receives the mirror image of the front. Where the projection
// falls outside the object's mask (the rim, after simplification), the nearest foreground pixel's
// colour is used instead of background. Colours are bilinearly interpolated between pixel
// centres, each pixel standing for its nearest foreground pixel.
//
// Thread-safety: pure function of its inputs; parallel inside.
#pragma once

#include "orfeas/core/status.h"
#include "orfeas/image/image.h"
#include "orfeas/mesh/mesh.h"

namespace orfeas::texture {

// Fills mesh.colors (one per position). `canvas` and `mask` are the preprocessed square canvas
// mapping onto model x, y ∈ [-1, 1]. Errors: size mismatch, empty mask.
[[nodiscard]] Status synthesize_vertex_colors(mesh::Mesh& mesh, const image::ImageRgba8& canvas,
                                              const image::Mask& mask);

}  // namespace orfeas::texture
