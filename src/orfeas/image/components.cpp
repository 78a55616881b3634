#include "orfeas/image/components.h"

#include <cassert>

namespace orfeas::image {

Components label_components(std::span<const std::uint8_t> members, int width, int height, Connectivity connectivity) {
  assert(width >= 0 && height >= 0);
  assert(members.size() == static_cast<std::size_t>(width) * static_cast<std::size_t>(height));
  Components result;
  result.labels.assign(members.size(), Components::kNone);

  constexpr int kOffsets[8][2] = {{1, 0}, {-1, 0}, {0, 1}, {0, -1}, {1, 1}, {1, -1}, {-1, 1}, {-1, -1}};
  const int neighbour_count = connectivity == Connectivity::kFour ? 4 : 8;
  std::vector<std::size_t> stack;  // depth-first: order does not matter for labelling
  const auto w = static_cast<std::size_t>(width);

  for (std::size_t seed = 0; seed < members.size(); ++seed) {
    if (members[seed] == 0 || result.labels[seed] != Components::kNone) continue;
    const auto label = static_cast<std::int32_t>(result.sizes.size());
    std::size_t size = 0;
    bool on_border = false;
    stack.clear();
    stack.push_back(seed);
    result.labels[seed] = label;
    while (!stack.empty()) {
      const std::size_t index = stack.back();
      stack.pop_back();
      ++size;
      const int x = static_cast<int>(index % w);
      const int y = static_cast<int>(index / w);
      if (x == 0 || y == 0 || x == width - 1 || y == height - 1) on_border = true;
      for (int n = 0; n < neighbour_count; ++n) {
        const int nx = x + kOffsets[n][0];
        const int ny = y + kOffsets[n][1];
        if (nx < 0 || ny < 0 || nx >= width || ny >= height) continue;
        const std::size_t neighbour = static_cast<std::size_t>(ny) * w + static_cast<std::size_t>(nx);
        if (members[neighbour] == 0 || result.labels[neighbour] != Components::kNone) continue;
        result.labels[neighbour] = label;
        stack.push_back(neighbour);
      }
    }
    result.sizes.push_back(size);
    result.on_border.push_back(on_border ? 1 : 0);
  }
  return result;
}

}  // namespace orfeas::image
