// Foreground extraction: which pixels of a decoded image belong to the object.
//
//   ForegroundOptions options;  // defaults suit product shots and drawings on a plain background
//   ORFEAS_ASSIGN_OR_RETURN(Mask mask, extract_foreground(image, options));
//
// Two regimes:
//  * Transparent images (a cut-out PNG/WebP): the threshold is alpha_threshold on the image's own
//    alpha range (a = lo + (hi − lo)·alpha_threshold/255 for its lowest and highest alpha, so a faint
//    cut-out whose alpha never exceeds 67 is cut at the middle of its range as a full-range one is at
//    128). When a noticeable share of pixels, or most of the outer frame, is below it, the mask is
//    exactly alpha ≥ a. An image whose alpha does not vary is judged by colour (or, when it is 0
//    everywhere, has no object).
//  * Opaque images: the background colour is estimated from the 1-pixel outer frame (per-channel
//    median, refined by a least-squares plane per channel through the frame pixels near it, so a
//    smooth gradient or vignette still counts as background). Pixels within color_tolerance of
//    that estimate are background-like; those connected to the frame are background. Background-
//    like regions enclosed by the object become holes when they cover at least min_hole_fraction
//    of the object's area (the inside of a ring) and are filled otherwise (a highlight). Object
//    components smaller than min_component_fraction of the largest are dropped as specks.
//    That is for a plain background: when the estimate explains less than plain_frame_share of
//    the frame's pixels and the picture is no flat-colour graphic, the background is a table, a
//    wall or a landscape, and the object is cut out by segment_photo (photo_segmentation.h: GrabCut
//    seeded from the border, with background-like pixels as probable background).
//
// Errors: kNoForeground when nothing is left (fully transparent or uniform image),
// kInvalidArgument for out-of-range options or an image whose pixel buffer does not match its size.
//
// Thread-safety: pure function. Memory: about 6 bytes per pixel of temporaries, plus the
// connected-component fill stack (components.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "orfeas/core/status.h"
#include "orfeas/image/image.h"
#include "orfeas/image/photo_segmentation.h"

namespace orfeas::image {

struct ForegroundOptions {
  std::uint8_t alpha_threshold = 128;    // on the image's alpha range (above): ≥ this is object
  float min_transparent_share = 0.01F;   // share of pixels below alpha_threshold that makes alpha the mask, [0, 1]
  float color_tolerance = 30.0F;         // Euclidean RGB distance (0–442) still counted as background, ≥ 0
  float min_hole_fraction = 0.02F;       // enclosed regions ≥ this share of the object area stay holes, [0, 1]
  float min_component_fraction = 0.01F;  // object parts < this share of the largest are dropped, [0, 1]
  // An opaque picture whose frame the background colour explains for less than this share of its
  // pixels (a table, a wall, a landscape) is a photo to cut out (photo_segmentation.h), unless it
  // is a flat-colour graphic, [0, 1].
  float plain_frame_share = 0.8F;
  SegmentationOptions segmentation{};
};

[[nodiscard]] Result<Mask> extract_foreground(const ImageRgba8& image, const ForegroundOptions& options);

// The mask and how much to trust it. A mask found by colour on an opaque photo is doubtful when
// the object runs into three or four borders of the picture (more than 5 % of each) or covers
// more than 90 % of it: then the background was most likely not a plain one (a portrait, a cup on
// a table) and the "object" is the frame. A graphic — 95 % of its pixels in at most 8 flat colours
// (a flag, an icon) — is taken as it is, never doubtful; so is a mask from alpha.
struct Foreground {
  Mask mask;
  bool from_alpha = false;
  std::string doubt;  // empty: trusted; else one sentence saying why not
  // From alpha: each pixel's share of the object, 0–255 ([height, width]), so that recentring
  // keeps an anti-aliased outline's sub-pixel position (recenter.h). The alpha on its own range
  // for pixels on the mask's outline (a mask pixel, at least 128; a pixel beside one, below 128),
  // 255 inside, 0 elsewhere; its 128 level is the mask's outline. Empty for a colour mask.
  std::vector<std::uint8_t> edge_weights{};
};
[[nodiscard]] Result<Foreground> detect_foreground(const ImageRgba8& image, const ForegroundOptions& options);

}  // namespace orfeas::image
