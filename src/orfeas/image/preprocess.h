// Stage `image_preprocessing`: image bytes → a square canvas with the object centred and its mask.
//
//   PreprocessOptions options;             // limits, foreground detection, border, canvas size
//   ORFEAS_ASSIGN_OR_RETURN(auto pre, preprocess_image_file("cat.png", options));
//   // pre.canvas: [canvas_size, canvas_size] RGBA, pre.mask: same size, 1 = object
//
// The canvas maps onto model space x, y ∈ [-1, 1]: pixel (u, v)'s centre is at
// x = (u + 0.5) / size * 2 - 1, y = 1 - (v + 0.5) / size * 2. The object's bounding box is scaled
// so that its longer side spans (1 - border_ratio) of the canvas, and centred.
//
// Thread-safety: pure functions; safe to call concurrently.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "orfeas/core/status.h"
#include "orfeas/image/decode.h"
#include "orfeas/image/foreground.h"
#include "orfeas/image/image.h"

namespace orfeas::image {

struct PreprocessOptions {
  DecodeLimits limits{};
  ForegroundOptions foreground{};
  float border_ratio = 0.15F;  // share of the canvas side left empty around the object, [0, 0.9]
  int canvas_size = 512;       // pixels per side of the output canvas, [16, 4096]
  // Also keep the decoded image at its own size with the object's mask as its alpha
  // (PreprocessedImage::cutout), for a shape backend that frames the object its own way (the
  // Hunyuan3D-2 engine reproduces its reference's recentring from it).
  bool keep_cutout = false;
  // A doubtful mask (foreground.h: an opaque photo whose "object" runs into the frame's borders or
  // fills it): an error (kNoForeground) when true; when false the run goes on and
  // PreprocessedImage::mask_doubt says why the mask is doubtful.
  bool refuse_doubtful_mask = true;
};

struct PreprocessedImage {
  ImageRgba8 canvas;  // [canvas_size, canvas_size]; alpha 255 on the object, 0 elsewhere
  Mask mask;          // [canvas_size, canvas_size]
  // [canvas_size, canvas_size]: the object's share of each canvas pixel, 0–255; its 128 level is
  // the outline between pixel centres (recenter.h). Empty: the mask's pixel edges are the outline.
  std::vector<std::uint8_t> coverage{};
  // With keep_cutout: the decoded image, alpha 0 outside the mask and its own alpha inside
  // (anti-aliased edges stay); empty otherwise.
  ImageRgba8 cutout{};
  std::string mask_doubt{};  // why the detected mask is doubtful (refuse_doubtful_mask false); else empty
};

[[nodiscard]] Result<PreprocessedImage> preprocess_image(std::span<const std::uint8_t> bytes,
                                                         const PreprocessOptions& options);
[[nodiscard]] Result<PreprocessedImage> preprocess_image_file(const std::filesystem::path& path,
                                                              const PreprocessOptions& options);
// With the user's mask (user_mask.h: a file the image's size) instead of the detected foreground.
[[nodiscard]] Result<PreprocessedImage> preprocess_image_file(const std::filesystem::path& path,
                                                              const std::filesystem::path& mask_file,
                                                              const PreprocessOptions& options);

}  // namespace orfeas::image
