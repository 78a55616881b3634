// Photo composites with a known mask, for the cut-out's test and benchmark (not in `orfeas`).
//
//   ORFEAS_ASSIGN_OR_RETURN(std::vector<Composite> all, make_composites(source_dir));
//   for (const Composite& c : all) score(c.image, c.truth);
//
// Cut-out objects whose alpha is known — the duck of examples/duck.png, a shaded ball and a
// striped mug with a handle (its hole shows the background) drawn here — pasted with that alpha
// onto real photos (tests/data/photos: a facade, a chessboard on a table, a house, an aerial
// landscape, fruit on a table; from OpenCV's sample data), each cropped to 512 × 384. The truth
// is the pasted object's alpha ≥ 128. Deterministic: the same files give the same pictures.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "orfeas/core/status.h"
#include "orfeas/image/image.h"

namespace orfeas::image::composites {

struct Composite {
  std::string name;  // "duck on board"
  ImageRgba8 image;  // opaque
  Mask truth;
};

// Every object on every background: 3 × 5 composites, each object placed a little off-centre.
[[nodiscard]] Result<std::vector<Composite>> make_composites(const std::filesystem::path& source_dir);

// `object` (straight alpha) over the opaque `background` at (x, y); the truth mask is alpha ≥ 128.
[[nodiscard]] Composite paste(std::string name, const ImageRgba8& background, const ImageRgba8& object, int x, int y);

// Bilinear resampling to width × height (pixel centres onto pixel centres), every channel.
[[nodiscard]] ImageRgba8 resize_bilinear(const ImageRgba8& image, int width, int height);

// A baseline JPEG of an opaque image (libjpeg, 4:2:0), in memory.
[[nodiscard]] Result<std::vector<std::uint8_t>> encode_jpeg(const ImageRgba8& image, int quality);

}  // namespace orfeas::image::composites
