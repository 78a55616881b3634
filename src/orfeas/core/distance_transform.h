// Exact Euclidean distance transform of a 2-D binary grid, with the nearest site of every cell.
//
//   auto field = distance_transform(width, height, mask_bytes, /*site_value=*/1);
//   field.distance[i]  // pixels to the nearest cell whose value == site_value (0 on a site)
//   field.nearest[i]   // row-major index of that site
//
// Felzenszwalb & Huttenlocher's separable lower-envelope algorithm: exact, O(width·height), a column
// pass then a row pass, each parallel over lines. With no site at all every distance is +infinity
// and every nearest index is kNoSite.
//
// Thread-safety: pure function.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

namespace orfeas {

struct DistanceField2D {
  static constexpr std::uint32_t kNoSite = std::numeric_limits<std::uint32_t>::max();

  int width = 0;
  int height = 0;
  std::vector<float> distance;         // [height, width], pixels
  std::vector<std::uint32_t> nearest;  // [height, width], row-major index of the nearest site
};

// `cells` is [height, width] row-major; a cell is a site when its value equals `site_value`.
[[nodiscard]] DistanceField2D distance_transform(int width, int height, std::span<const std::uint8_t> cells,
                                                 std::uint8_t site_value);

}  // namespace orfeas
