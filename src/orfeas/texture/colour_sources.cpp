#include "orfeas/texture/colour_sources.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <vector>

#include "orfeas/core/distance_transform.h"

namespace orfeas::texture {
namespace {

constexpr int kMaxClusters = 6;
constexpr int kIterations = 12;
constexpr std::size_t kSamples = 16384;
constexpr int kSameColour = 24 * 24;  // squared RGB distance under which two colours are one

// Each object pixel takes the colour of its nearest site (cells whose value is 1 in `sites`).
image::ImageRgba8 take_from_nearest(const image::ImageRgba8& canvas, const image::Mask& mask,
                                    const std::vector<std::uint8_t>& sites) {
  const DistanceField2D field = distance_transform(canvas.width, canvas.height, sites, 1);
  image::ImageRgba8 out = canvas;
  for (std::size_t i = 0; i < out.pixels.size(); ++i) {
    if (mask.values[i] != 0 && field.nearest[i] != DistanceField2D::kNoSite)
      out.pixels[i] = canvas.pixels[field.nearest[i]];
  }
  return out;
}

int squared_distance(const image::Rgba8& a, const std::array<float, 3>& c) {
  const float dr = static_cast<float>(a.r) - c[0];
  const float dg = static_cast<float>(a.g) - c[1];
  const float db = static_cast<float>(a.b) - c[2];
  return static_cast<int>(dr * dr + dg * dg + db * db);
}

}  // namespace

image::ImageRgba8 inset_colours(const image::ImageRgba8& canvas, const image::Mask& mask, int inset) {
  // Distance of every pixel to the nearest background pixel (the canvas edge counts as background).
  std::vector<std::uint8_t> background(mask.values.size());
  for (std::size_t i = 0; i < background.size(); ++i) background[i] = mask.values[i] == 0 ? 1 : 0;
  const DistanceField2D to_background = distance_transform(mask.width, mask.height, background, 1);
  std::vector<std::uint8_t> deep(mask.values.size(), 0);
  bool any = false;
  for (int y = 0; y < mask.height; ++y) {
    for (int x = 0; x < mask.width; ++x) {
      const std::size_t i = mask.index(x, y);
      const int to_edge = std::min({x + 1, y + 1, mask.width - x, mask.height - y});
      const float depth = std::min(to_background.distance[i], static_cast<float>(to_edge));
      if (mask.values[i] != 0 && depth > static_cast<float>(inset)) {
        deep[i] = 1;
        any = true;
      }
    }
  }
  if (!any) return canvas;
  return take_from_nearest(canvas, mask, deep);
}

image::ImageRgba8 colour_regions(const image::ImageRgba8& canvas, const image::Mask& mask, float min_region) {
  std::vector<std::size_t> object;
  for (std::size_t i = 0; i < mask.values.size(); ++i) {
    if (mask.values[i] != 0) object.push_back(i);
  }
  if (object.empty()) return canvas;

  // k-means on the object's colours (fitted on at most kSamples evenly spaced object pixels, then
  // every pixel assigned once), seeded deterministically by farthest-point picking from the first
  // pixel: each new centre is the sample farthest from the centres so far.
  const std::size_t stride = std::max<std::size_t>(1, object.size() / kSamples);
  std::vector<image::Rgba8> samples;
  for (std::size_t n = 0; n < object.size(); n += stride) samples.push_back(canvas.pixels[object[n]]);
  const auto as_centre = [](const image::Rgba8& p) {
    return std::array<float, 3>{static_cast<float>(p.r), static_cast<float>(p.g), static_cast<float>(p.b)};
  };
  const auto nearest_centre = [](const image::Rgba8& p, const std::vector<std::array<float, 3>>& centres) {
    int best = 0;
    int best_distance = squared_distance(p, centres[0]);
    for (int c = 1; c < static_cast<int>(centres.size()); ++c) {
      const int d = squared_distance(p, centres[static_cast<std::size_t>(c)]);
      if (d < best_distance) {
        best = c;
        best_distance = d;
      }
    }
    return best;
  };
  std::vector<std::array<float, 3>> centres{as_centre(samples.front())};
  std::vector<int> nearest_distance(samples.size(), std::numeric_limits<int>::max());
  while (static_cast<int>(centres.size()) < kMaxClusters) {
    std::size_t farthest = 0;
    for (std::size_t n = 0; n < samples.size(); ++n) {
      nearest_distance[n] = std::min(nearest_distance[n], squared_distance(samples[n], centres.back()));
      if (nearest_distance[n] > nearest_distance[farthest]) farthest = n;
    }
    if (nearest_distance[farthest] < kSameColour) break;  // every sample is within a small step of a centre
    centres.push_back(as_centre(samples[farthest]));
  }
  for (int iteration = 0; iteration < kIterations; ++iteration) {
    std::vector<std::array<double, 4>> sums(centres.size(), {0, 0, 0, 0});
    for (const image::Rgba8& p : samples) {
      auto& sum = sums[static_cast<std::size_t>(nearest_centre(p, centres))];
      sum[0] += p.r;
      sum[1] += p.g;
      sum[2] += p.b;
      sum[3] += 1;
    }
    for (std::size_t c = 0; c < centres.size(); ++c) {
      if (sums[c][3] > 0) {
        for (std::size_t k = 0; k < 3; ++k) centres[c][k] = static_cast<float>(sums[c][k] / sums[c][3]);
      }
    }
  }
  std::vector<int> cluster(mask.values.size(), -1);
  for (const std::size_t i : object) cluster[i] = nearest_centre(canvas.pixels[i], centres);

  // Connected areas of one cluster (4-connected), their sizes and mean colours.
  const int w = mask.width;
  const int h = mask.height;
  std::vector<std::int32_t> region(mask.values.size(), -1);
  std::vector<std::size_t> sizes;
  std::vector<std::array<double, 3>> colour_sums;
  std::vector<std::size_t> stack;
  for (const std::size_t seed : object) {
    if (region[seed] >= 0) continue;
    const auto id = static_cast<std::int32_t>(sizes.size());
    sizes.push_back(0);
    colour_sums.push_back({0, 0, 0});
    region[seed] = id;
    stack.push_back(seed);
    while (!stack.empty()) {
      const std::size_t i = stack.back();
      stack.pop_back();
      ++sizes.back();
      const image::Rgba8& p = canvas.pixels[i];
      colour_sums.back()[0] += p.r;
      colour_sums.back()[1] += p.g;
      colour_sums.back()[2] += p.b;
      const int x = static_cast<int>(i % static_cast<std::size_t>(w));
      const int y = static_cast<int>(i / static_cast<std::size_t>(w));
      const std::array<std::pair<int, int>, 4> steps{{{x - 1, y}, {x + 1, y}, {x, y - 1}, {x, y + 1}}};
      for (const auto& [nx, ny] : steps) {
        if (nx < 0 || ny < 0 || nx >= w || ny >= h) continue;
        const std::size_t j = mask.index(nx, ny);
        if (region[j] >= 0 || cluster[j] != cluster[i]) continue;
        region[j] = id;
        stack.push_back(j);
      }
    }
  }

  // Large regions keep their mean colour; small ones take the nearest large region's.
  const double threshold = static_cast<double>(min_region) * static_cast<double>(object.size());
  std::vector<std::uint8_t> large(mask.values.size(), 0);
  bool any_large = false;
  for (const std::size_t i : object) {
    if (static_cast<double>(sizes[static_cast<std::size_t>(region[i])]) >= threshold) {
      large[i] = 1;
      any_large = true;
    }
  }
  image::ImageRgba8 painted = canvas;
  for (const std::size_t i : object) {
    const auto r = static_cast<std::size_t>(region[i]);
    const auto mean = [&](int k) {
      return static_cast<std::uint8_t>(std::clamp(colour_sums[r][k] / static_cast<double>(sizes[r]) + 0.5, 0.0, 255.0));
    };
    painted.pixels[i] = {mean(0), mean(1), mean(2), canvas.pixels[i].a};
  }
  if (!any_large) return painted;  // everything is detail: the clusters' own colours
  return take_from_nearest(painted, mask, large);
}

}  // namespace orfeas::texture
