// Cut-out of a photo: which pixels of an opaque picture on a busy background are the object.
//
//   ORFEAS_ASSIGN_OR_RETURN(PhotoSegmentation cut, segment_photo(image, background_like, {}));
//   if (!cut.doubt.empty()) ...;  // the object could not be told apart: say so
//
// When one background colour (foreground.h) does not describe a photo's border — a table, a
// wall, a landscape — the object is separated by GrabCut (OpenCV's iterated graph cut over
// colour mixture models) on a copy of the picture shrunk to `work_size` pixels on its longer side:
//  * seeds: a band along the border (border_band of the shorter side) is background for sure;
//    elsewhere a pixel the caller's colour prior calls background-like starts as probable
//    background, every other one as probable object;
//  * the cut's main object is its largest connected part; other parts stay when they are at least
//    keep_part_fraction of it (a handle, the other foot), specks go; enclosed background smaller
//    than min_hole_fraction of the object is filled;
//  * the small mask is brought back to the full size by bilinear interpolation of its 0/1 values,
//    cut at one half, so the outline follows the shrunk picture's sub-pixel boundary instead of
//    its pixel steps.
// The cut is doubtful (`doubt`, one sentence) when the object runs into three or four sides of
// the border band, covers more than 90 % or less than 0.5 % of the picture, or is unstable: one
// more iteration still changes it (intersection over union with the one before, both cleaned,
// below min_stability).
//
// Errors: kInvalidArgument (options out of range, a malformed image), kNoForeground (the cut
// keeps nothing). Thread-safety: pure function (OpenCV's own threads aside). Memory: the full-size
// mask, plus a few buffers of the work size.
#pragma once

#include <functional>
#include <string>

#include "orfeas/core/status.h"
#include "orfeas/image/image.h"

namespace orfeas::image {

struct SegmentationOptions {
  int work_size = 224;               // longer side of the picture GrabCut sees, [32, 2048] pixels
  int iterations = 6;                // GrabCut rounds, [2, 20]
  float border_band = 0.03F;         // sure background along the border: share of the shorter side, (0, 0.25]
  float keep_part_fraction = 0.15F;  // parts at least this share of the largest stay, [0, 1]
  float near_part = 0.03F;           // ... when this close to it: share of the work picture's diagonal, [0, 1]
  float close_radius = 0.008F;       // background slivers thinner than twice this (of the diagonal) close, [0, 1]
  float min_hole_fraction = 0.02F;   // enclosed background at least this share of the object stays a hole
  float min_stability = 0.93F;       // IoU of the last two iterations' (cleaned) masks below this: doubtful
  // A colour (4 bits a channel, with its neighbours) at least this share of the band's pixels
  // show is background-like, [0, 1].
  float band_colour_share = 0.003F;
};

struct PhotoSegmentation {
  Mask mask;               // [height, width] of the picture
  double stability = 1.0;  // IoU of the last two iterations' masks (work size)
  std::string doubt;       // empty: trusted; else why not
};

// `background_like(pixel, x, y)`: the caller's colour prior for a pixel at full-size coordinates
// (e.g. within tolerance of the colour estimated on the border). Called once per work-size pixel.
using BackgroundPrior = std::function<bool(Rgba8 pixel, double x, double y)>;

[[nodiscard]] Status validate(const SegmentationOptions& options);

[[nodiscard]] Result<PhotoSegmentation> segment_photo(const ImageRgba8& image, const BackgroundPrior& background_like,
                                                      const SegmentationOptions& options);

// Why a mask's object cannot be told from its frame, or empty: it covers more than 90 % of the
// rectangle `inset` pixels inside the picture's edge, or more than 5 % of three or four of that
// rectangle's sides. Shared by the colour mask (inset 0) and the cut (inset: the sure band).
[[nodiscard]] std::string frame_doubt(const Mask& mask, int inset);

// |a ∩ b| / |a ∪ b| of two masks of one size (1 when both are empty).
[[nodiscard]] double mask_iou(const Mask& a, const Mask& b);

}  // namespace orfeas::image
