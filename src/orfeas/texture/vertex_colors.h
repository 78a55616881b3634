// Stage `texture_synthesis` (built-in): vertex colours from the front image.
//
//   ORFEAS_RETURN_IF_ERROR(synthesize_vertex_colors(mesh, pre.canvas, pre.mask, {}));
//
// Each vertex samples a picture under it along the view axis (orthographic, z towards the viewer):
//   - the front (normal facing the viewer) samples the canvas;
//   - the sides (normal across the view axis) sample inset_colours(): the region just inside the
//     outline, so outline strokes are not smeared around the sides;
//   - the back samples, by BackColours: kRegions (default) colour_regions(), the front's regions
//     with their own colours but none of their small details; kMirror the canvas (the front's
//     mirror image, faces and text included); kColour one colour.
// Between them the weights change linearly with the normal's z: |n_z| ≥ 0.5 is front or back,
// |n_z| ≤ 0.2 side. A mesh without normals is coloured as front (z ≥ 0) and back. Where the
// projection falls outside the object's mask (the rim, after simplification), the nearest
// foreground pixel's colour is used instead of background. Colours are bilinearly interpolated
// between pixel centres, each pixel standing for its nearest foreground pixel.
//
// Thread-safety: pure function of its inputs; parallel inside.
#pragma once

#include <string_view>

#include "orfeas/core/status.h"
#include "orfeas/image/image.h"
#include "orfeas/mesh/mesh.h"

namespace orfeas::texture {

enum class BackColours { kRegions, kMirror, kColour };

struct ColourOptions {
  BackColours back = BackColours::kRegions;
  mesh::Rgb8 back_colour{200, 200, 200};  // for kColour
  float side_inset = 0.02F;  // how far inside the outline the sides take their colour, share of the canvas side
  float min_region = 0.02F;  // kRegions: smaller areas of one colour (share of the object) are details
};

// "regions", "mirror", or a colour "#RRGGBB": the CLI's --back. kInvalidArgument otherwise.
[[nodiscard]] Result<ColourOptions> parse_back_colours(std::string_view text, ColourOptions options = {});

// Fills mesh.colors (one per position). `canvas` and `mask` are the preprocessed square canvas
// mapping onto model x, y ∈ [-1, 1]. Errors: size mismatch, empty mask, options out of range.
[[nodiscard]] Status synthesize_vertex_colors(mesh::Mesh& mesh, const image::ImageRgba8& canvas,
                                              const image::Mask& mask, const ColourOptions& options = {});

}  // namespace orfeas::texture
