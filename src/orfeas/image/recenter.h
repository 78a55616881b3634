// Recentring: crop an image to its object, scale it, and centre it on a square canvas.
//
//   ORFEAS_ASSIGN_OR_RETURN(RecenteredImage out, recenter(image, mask, {.border_ratio = 0.15F}));
//
// The mask's bounding box is scaled so that its longer side spans (1 − border_ratio)·canvas_size
// pixels and placed in the middle of a canvas_size × canvas_size canvas. Shrinking averages over
// each output pixel's footprint (box filter); enlarging interpolates bilinearly. Colour and mask
// go through the same filter: the mask's coverage of an output pixel decides membership
// (≥ 0.5), and colour is averaged over object pixels only, so the background never bleeds into
// the object's edge. On the canvas, object pixels have alpha 255 and the rest are (0, 0, 0, 0).
// The coverage itself is kept (RecenteredImage::coverage): where the outline crosses a canvas pixel,
// its share says how far, so the shape stage can place the outline between pixel centres. A binary
// mask shrunk onto the canvas gives it by averaging; an anti-aliased cut-out gives it at any scale
// through `edge_weights` (foreground.h: each source pixel's share of the object, 0–255).
//
// Errors: kInvalidArgument (options out of range, mask not the image's size), kNoForeground
// (empty mask). Thread-safety: pure functions. Memory: the canvas plus about
// 16 bytes × crop height × scaled width of temporaries.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "orfeas/core/status.h"
#include "orfeas/image/image.h"

namespace orfeas::image {

struct RecenterOptions {
  float border_ratio = 0.15F;  // share of the canvas side left empty around the object, [0, 0.9]
  int canvas_size = 512;       // pixels per side of the output canvas, [16, 4096]
};

struct RecenteredImage {
  ImageRgba8 canvas;  // [canvas_size, canvas_size]
  Mask mask;          // [canvas_size, canvas_size]: coverage ≥ 0.5
  // [canvas_size, canvas_size]: the object's share of each canvas pixel, 0–255 (round(255 · share)).
  std::vector<std::uint8_t> coverage;
};

// Half-open pixel rectangle [x0, x1) × [y0, y1).
struct PixelBox {
  int x0 = 0;
  int y0 = 0;
  int x1 = 0;
  int y1 = 0;
  [[nodiscard]] int width() const { return x1 - x0; }
  [[nodiscard]] int height() const { return y1 - y0; }
  friend bool operator==(const PixelBox&, const PixelBox&) = default;
};

// The smallest box holding every mask pixel, or nothing for an empty mask.
[[nodiscard]] std::optional<PixelBox> mask_bounds(const Mask& mask);

[[nodiscard]] Status validate_recenter_options(const RecenterOptions& options);

// `edge_weights`: empty (each mask pixel counts whole), or [height, width] shares 0–255 of the
// object per source pixel, read for the pixels inside the mask's bounding box.
[[nodiscard]] Result<RecenteredImage> recenter(const ImageRgba8& image, const Mask& mask,
                                               const RecenterOptions& options,
                                               std::span<const std::uint8_t> edge_weights = {});

}  // namespace orfeas::image
