// Stage `shape_generation`: a preprocessed image (square canvas + object mask) → a scalar volume
// whose negative region is the object.
//
//   ORFEAS_ASSIGN_OR_RETURN(auto backend, create_shape_backend("inflate"));
//   ORFEAS_ASSIGN_OR_RETURN(ScalarVolume volume, backend->generate(canvas, mask, {.resolution = 256}));
//
// Every backend fills the cube [-1, 1]^3 of model space with (resolution + 1)^3 grid points, the
// canvas mapping onto x, y ∈ [-1, 1] (see image/preprocess.h) and z pointing at the viewer.
//
// Thread-safety: a backend is immutable after creation; generate() may run concurrently.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "orfeas/core/status.h"
#include "orfeas/image/image.h"
#include "orfeas/shape/volume.h"

namespace orfeas::shape {

struct ShapeOptions {
  int resolution = 256;    // grid cells per axis, [8, 1024]
  float thickness = 1.0F;  // depth scale of the inflation: 1 makes a disc a sphere, (0, 4]
};

[[nodiscard]] Status validate(const ShapeOptions& options);

class ShapeBackend {
 public:
  virtual ~ShapeBackend() = default;
  ShapeBackend() = default;
  ShapeBackend(const ShapeBackend&) = delete;
  ShapeBackend& operator=(const ShapeBackend&) = delete;

  [[nodiscard]] virtual std::string_view name() const = 0;

  // `canvas` and `mask` are the same square size.
  [[nodiscard]] virtual Result<ScalarVolume> generate(const image::ImageRgba8& canvas, const image::Mask& mask,
                                                      const ShapeOptions& options) const = 0;
};

// The names create_shape_backend() accepts, in the order the CLI lists them.
[[nodiscard]] std::vector<std::string> shape_backend_names();

[[nodiscard]] Result<std::unique_ptr<ShapeBackend>> create_shape_backend(std::string_view name);

}  // namespace orfeas::shape
