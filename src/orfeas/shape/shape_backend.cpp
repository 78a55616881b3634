#include "orfeas/shape/shape_backend.h"

#include <cmath>
#include <string>

#include <fmt/format.h>

#include "orfeas/shape/hunyuan3d_backend.h"
#include "orfeas/shape/inflate_backend.h"

namespace orfeas::shape {

Status validate(const ShapeOptions& options) {
  if (options.resolution < 8 || options.resolution > 1024) {
    return make_error(ErrorCode::kInvalidArgument,
                      "resolution must be between 8 and 1024 (got " + std::to_string(options.resolution) + ")");
  }
  if (!std::isfinite(options.thickness) || options.thickness <= 0.0F || options.thickness > 4.0F) {
    return make_error(ErrorCode::kInvalidArgument, "thickness must be in (0, 4]");
  }
  if (!std::isfinite(options.min_thickness) || options.min_thickness < 0.0F || options.min_thickness > 2.0F) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("min_thickness must be in [0, 2] model units (got {})", options.min_thickness));
  }
  return ok();
}

std::string describe(const ModelLoad& load) {
  const auto gb = [](std::uint64_t bytes) { return static_cast<double>(bytes) / 1e9; };
  return fmt::format(
      "{} {} ({} on {}): {} tensors, {:.2f} GB read, {:.2f} GB on the device, in {:.2f} s; peak host "
      "memory {:.2f} GB",
      load.shared ? "sharing" : "loaded", load.model, load.dtype, load.device, load.tensors, gb(load.file_bytes),
      gb(load.device_bytes), load.seconds, gb(load.peak_host_bytes));
}

std::vector<std::string> shape_backend_names() {
  return {std::string(InflateBackend::kName), std::string(kHunyuan3DBackendName)};
}

GridGeometry volume_grid(const ShapeOptions& options) {
  return GridGeometry::unit_cube(options.resolution + 1);
}

Result<std::unique_ptr<ShapeBackend>> create_shape_backend(std::string_view name, const gpu::Device& device,
                                                           const ShapeOptions& options) {
  if (name == InflateBackend::kName) return create_inflate_backend(device);
  if (name == kHunyuan3DBackendName) return create_hunyuan3d_backend(device, options.hunyuan3d);
  return make_error(ErrorCode::kInvalidArgument,
                    "unknown shape backend '" + std::string(name) + "' (available: inflate, hunyuan3d)");
}

}  // namespace orfeas::shape
