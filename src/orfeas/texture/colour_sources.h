// The pictures the vertex colours are sampled from besides the front image itself:
//
//   inset_colours    every object pixel takes the colour of the nearest pixel at least `inset`
//                    pixels inside the outline, so a dark outline stroke of a few pixels is not
//                    smeared around the sides (the sides show the region just inside it);
//   colour_regions   the front's regions with their own colours and none of their small details
//                    (eyes, text, outlines): the object's colours clustered (k-means, k ≤ 6,
//                    deterministic), connected areas of one cluster smaller than `min_region` of
//                    the object merged into the nearest large one, each region painted its mean
//                    colour. For the back, which should not show the front mirrored.
//
// Both keep the canvas's size; pixels outside the mask are left as they are.
// Thread-safety: pure functions.
#pragma once

#include "orfeas/image/image.h"

namespace orfeas::texture {

// `inset` in pixels; when no pixel lies that far inside (a thin object), the canvas is returned.
[[nodiscard]] image::ImageRgba8 inset_colours(const image::ImageRgba8& canvas, const image::Mask& mask, int inset);

// `min_region`: a share of the object's area, [0, 1].
[[nodiscard]] image::ImageRgba8 colour_regions(const image::ImageRgba8& canvas, const image::Mask& mask,
                                               float min_region);

}  // namespace orfeas::texture
