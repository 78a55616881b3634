#include "orfeas/core/distance_transform.h"

#include <cassert>
#include <cmath>

#include "orfeas/core/parallel.h"

namespace orfeas {
namespace {

constexpr float kInfinity = std::numeric_limits<float>::infinity();

// Scratch for one 1-D lower-envelope pass; reused across the lines a worker handles so the hot
// loop never allocates.
struct EnvelopeScratch {
  std::vector<int> vertex;             // parabola apex positions in the envelope
  std::vector<float> boundary;         // where each parabola starts to be the lowest
  std::vector<float> f;                // input squared distances of the line
  std::vector<std::uint32_t> site_of;  // site index carried by each input position
  std::vector<float> out;
  std::vector<std::uint32_t> out_site;

  explicit EnvelopeScratch(std::size_t n) : vertex(n), boundary(n + 1), f(n), site_of(n), out(n), out_site(n) {}
};

// One dimension of the transform: out[q] = min_p (q - p)^2 + f[p], with the argmin's site.
void lower_envelope(std::size_t n, EnvelopeScratch& s) {
  int k = -1;
  for (std::size_t q = 0; q < n; ++q) {
    if (!std::isfinite(s.f[q])) continue;
    const auto qf = static_cast<float>(q);
    while (k >= 0) {
      const int v = s.vertex[static_cast<std::size_t>(k)];
      const auto vf = static_cast<float>(v);
      const float intersection =
          ((s.f[q] + qf * qf) - (s.f[static_cast<std::size_t>(v)] + vf * vf)) / (2.0F * qf - 2.0F * vf);
      if (intersection <= s.boundary[static_cast<std::size_t>(k)]) {
        --k;
      } else {
        ++k;
        s.vertex[static_cast<std::size_t>(k)] = static_cast<int>(q);
        s.boundary[static_cast<std::size_t>(k)] = intersection;
        s.boundary[static_cast<std::size_t>(k) + 1] = kInfinity;
        break;
      }
    }
    if (k < 0) {
      k = 0;
      s.vertex[0] = static_cast<int>(q);
      s.boundary[0] = -kInfinity;
      s.boundary[1] = kInfinity;
    }
  }
  if (k < 0) {
    for (std::size_t q = 0; q < n; ++q) {
      s.out[q] = kInfinity;
      s.out_site[q] = DistanceField2D::kNoSite;
    }
    return;
  }
  std::size_t j = 0;
  for (std::size_t q = 0; q < n; ++q) {
    const auto qf = static_cast<float>(q);
    while (s.boundary[j + 1] < qf) ++j;
    const auto v = static_cast<std::size_t>(s.vertex[j]);
    const float d = qf - static_cast<float>(v);
    s.out[q] = d * d + s.f[v];
    s.out_site[q] = s.site_of[v];
  }
}

}  // namespace

DistanceField2D distance_transform(int width, int height, std::span<const std::uint8_t> cells,
                                   std::uint8_t site_value) {
  assert(width >= 0 && height >= 0);
  const auto w = static_cast<std::size_t>(width);
  const auto h = static_cast<std::size_t>(height);
  assert(cells.size() == w * h);

  DistanceField2D field;
  field.width = width;
  field.height = height;
  field.distance.assign(w * h, kInfinity);  // squared distances until the end
  field.nearest.assign(w * h, DistanceField2D::kNoSite);

  // Columns: distance to the nearest site in the same column.
  parallel_for(0, w, 16, [&](std::size_t begin, std::size_t end) {
    EnvelopeScratch s(h);
    for (std::size_t x = begin; x < end; ++x) {
      for (std::size_t y = 0; y < h; ++y) {
        const std::size_t i = y * w + x;
        const bool site = cells[i] == site_value;
        s.f[y] = site ? 0.0F : kInfinity;
        s.site_of[y] = site ? static_cast<std::uint32_t>(i) : DistanceField2D::kNoSite;
      }
      lower_envelope(h, s);
      for (std::size_t y = 0; y < h; ++y) {
        field.distance[y * w + x] = s.out[y];
        field.nearest[y * w + x] = s.out_site[y];
      }
    }
  });
  // Rows: combine the column distances along each row.
  parallel_for(0, h, 16, [&](std::size_t begin, std::size_t end) {
    EnvelopeScratch s(w);
    for (std::size_t y = begin; y < end; ++y) {
      for (std::size_t x = 0; x < w; ++x) {
        s.f[x] = field.distance[y * w + x];
        s.site_of[x] = field.nearest[y * w + x];
      }
      lower_envelope(w, s);
      for (std::size_t x = 0; x < w; ++x) {
        field.distance[y * w + x] = std::sqrt(s.out[x]);
        field.nearest[y * w + x] = s.out_site[x];
      }
    }
  });
  return field;
}

}  // namespace orfeas
