// Connected components of a binary pixel grid, for the foreground mask's clean-up.
//
// Grids are [height, width] bytes, row-major, non-zero = member. Labelling is iterative (an
// explicit stack, no recursion), so a 40-megapixel image cannot overflow the call stack; memory
// is one int32 label per pixel plus the fill stack (at most one index per pixel of a component).
//
// Thread-safety: pure function.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace orfeas::image {

enum class Connectivity {
  kFour,   // edge neighbours; used for background regions
  kEight,  // edge and corner neighbours; used for objects, the dual that keeps topology consistent
};

struct Components {
  static constexpr std::int32_t kNone = -1;
  std::vector<std::int32_t> labels;     // [height, width]; kNone outside the set, else component index
  std::vector<std::size_t> sizes;       // pixels per component
  std::vector<std::uint8_t> on_border;  // per component: 1 when it touches the image's outer frame
};

[[nodiscard]] Components label_components(std::span<const std::uint8_t> members, int width, int height,
                                          Connectivity connectivity);

}  // namespace orfeas::image
