#include "orfeas/meshtools/weld.h"

#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#include "orfeas/mesh/compact.h"

namespace orfeas::meshtools {
namespace {

struct KeyHash {
  std::size_t operator()(const std::array<std::int64_t, 3>& k) const {
    std::uint64_t h = 1469598103934665603ULL;
    for (const std::int64_t v : k) {
      h ^= static_cast<std::uint64_t>(v) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    }
    return static_cast<std::size_t>(h);
  }
};

std::int64_t bits(float v) {
  if (v == 0.0F) v = 0.0F;  // -0 and +0 weld
  std::uint32_t b = 0;
  std::memcpy(&b, &v, sizeof b);
  return b;
}

// Grid cell of a coordinate, clamped so far-away points cannot overflow (they land in the edge
// cells, where the distance test still decides).
std::int64_t cell_of(float v, double cell) {
  const double q = std::floor(static_cast<double>(v) / cell);
  constexpr double kLimit = 4.0e18;
  return static_cast<std::int64_t>(std::isfinite(q) ? std::clamp(q, -kLimit, kLimit) : 0.0);
}

double distance_squared(Vec3f a, Vec3f b) {
  const double dx = static_cast<double>(a.x) - b.x;
  const double dy = static_cast<double>(a.y) - b.y;
  const double dz = static_cast<double>(a.z) - b.z;
  return dx * dx + dy * dy + dz * dz;
}

}  // namespace

Result<std::size_t> weld_vertices(mesh::Mesh& mesh, double tolerance) {
  ORFEAS_RETURN_IF_ERROR(mesh::check_indices(mesh));
  if (!std::isfinite(tolerance) || tolerance < 0.0) {
    return make_error(ErrorCode::kInvalidArgument, fmt::format("weld tolerance must be >= 0, got {}", tolerance));
  }
  const std::size_t count = mesh.positions.size();
  std::vector<std::uint32_t> representative(count);
  std::size_t merged = 0;
  using Key = std::array<std::int64_t, 3>;
  if (tolerance == 0.0) {
    std::unordered_map<Key, std::uint32_t, KeyHash> seen;
    seen.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
      const Vec3f p = mesh.positions[i];
      const auto [it, inserted] = seen.try_emplace(Key{bits(p.x), bits(p.y), bits(p.z)}, static_cast<std::uint32_t>(i));
      representative[i] = it->second;
      if (!inserted) ++merged;
    }
  } else {
    std::unordered_map<Key, std::vector<std::uint32_t>, KeyHash> cells;
    const double limit = tolerance * tolerance;
    for (std::size_t i = 0; i < count; ++i) {
      const Vec3f p = mesh.positions[i];
      const Key key{cell_of(p.x, tolerance), cell_of(p.y, tolerance), cell_of(p.z, tolerance)};
      std::int64_t found = -1;
      for (std::int64_t dx = -1; dx <= 1 && found < 0; ++dx) {
        for (std::int64_t dy = -1; dy <= 1 && found < 0; ++dy) {
          for (std::int64_t dz = -1; dz <= 1 && found < 0; ++dz) {
            const auto it = cells.find(Key{key[0] + dx, key[1] + dy, key[2] + dz});
            if (it == cells.end()) continue;
            for (const std::uint32_t r : it->second) {
              if (distance_squared(mesh.positions[r], p) <= limit) {
                found = r;
                break;
              }
            }
          }
        }
      }
      if (found >= 0) {
        representative[i] = static_cast<std::uint32_t>(found);
        ++merged;
      } else {
        representative[i] = static_cast<std::uint32_t>(i);
        cells[key].push_back(static_cast<std::uint32_t>(i));
      }
    }
  }
  for (mesh::Triangle& t : mesh.triangles) {
    for (std::uint32_t& v : t) v = representative[v];
  }
  mesh.normals.clear();
  ORFEAS_RETURN_IF_ERROR(mesh::compact_vertices(mesh));
  return merged;
}

}  // namespace orfeas::meshtools
