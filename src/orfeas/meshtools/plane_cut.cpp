#include "orfeas/meshtools/plane_cut.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <limits>
#include <optional>
#include <unordered_map>
#include <utility>

#include <fmt/format.h>

#include "orfeas/mesh/double_geometry.h"
#include "orfeas/meshtools/polygon_triangulation.h"

namespace orfeas::meshtools {
namespace {

constexpr std::uint32_t kNone = std::numeric_limits<std::uint32_t>::max();

// Heights at least `hair` away from every vertex's y: the nearest to `height`, then a few up to
// 300 hairs away (for when the nearest cuts a face into a sliver of zero area).
std::vector<float> clear_heights(const std::vector<float>& sorted_y, float height, double hair) {
  const auto clear = [&](double h) {
    const auto it = std::lower_bound(sorted_y.begin(), sorted_y.end(), static_cast<float>(h - hair));
    return it == sorted_y.end() || static_cast<double>(*it) > h + hair;
  };
  std::vector<float> found;
  for (const double near : {0.0, 30.0, 100.0, 300.0}) {
    for (int k = 0; k < 64; ++k) {
      const double offset = (near + k * 2.0) * hair;
      const auto up = static_cast<float>(static_cast<double>(height) + offset);
      const auto down = static_cast<float>(static_cast<double>(height) - offset);
      if (clear(up)) {
        found.push_back(up);
        break;
      }
      if (clear(down)) {
        found.push_back(down);
        break;
      }
    }
  }
  return found;
}

// A face through the cut whose corners coincide once rounded to float (two crossings a hair apart).
bool has_flat_face(const PlaneCut& cut) {
  const std::vector<Vec3f>& p = cut.mesh.positions;
  for (const mesh::Triangle& t : cut.mesh.triangles) {
    if (p[t[0]].y != cut.height && p[t[1]].y != cut.height && p[t[2]].y != cut.height) continue;
    const mesh::internal::Vec3d n = mesh::internal::face_normal(p[t[0]], p[t[1]], p[t[2]]);
    if (n.x == 0.0 && n.y == 0.0 && n.z == 0.0) return true;
  }
  return false;
}

class Cutter {
 public:
  Cutter(const mesh::Mesh& in, float height) : in_(in), h_(height) {}

  Result<PlaneCut> run() {
    PlaneCut cut;
    cut.height = h_;
    out_ = &cut.mesh;
    map_.assign(in_.positions.size(), kNone);
    for (const mesh::Triangle& t : in_.triangles) {
      std::array<bool, 3> up{};
      int ups = 0;
      for (int c = 0; c < 3; ++c) {
        up[static_cast<std::size_t>(c)] = in_.positions[t[static_cast<std::size_t>(c)]].y > h_;
        ups += up[static_cast<std::size_t>(c)] ? 1 : 0;
      }
      if (ups == 0) continue;
      if (ups == 3) {
        out_->triangles.push_back({kept(t[0]), kept(t[1]), kept(t[2])});
        continue;
      }
      // Rotate so that a (t[r]) is the lone vertex above (ups == 1) or the one below follows b.
      std::size_t r = 0;
      for (std::size_t c = 0; c < 3; ++c) {
        if (ups == 1 ? up[c] : !up[(c + 2) % 3]) r = c;
      }
      const std::uint32_t a = t[r];
      const std::uint32_t b = t[(r + 1) % 3];
      const std::uint32_t c = t[(r + 2) % 3];
      if (ups == 1) {  // a above; b, c below
        const std::uint32_t pab = crossing(a, b);
        const std::uint32_t pca = crossing(c, a);
        out_->triangles.push_back({kept(a), pab, pca});
        ORFEAS_RETURN_IF_ERROR(link(pca, pab));
      } else {  // a, b above; c below
        const std::uint32_t pbc = crossing(b, c);
        const std::uint32_t pca = crossing(c, a);
        const std::uint32_t ka = kept(a);
        out_->triangles.push_back({ka, kept(b), pbc});
        out_->triangles.push_back({ka, pbc, pca});
        ORFEAS_RETURN_IF_ERROR(link(pca, pbc));
      }
    }
    ORFEAS_RETURN_IF_ERROR(collect_loops(cut.loops));
    return cut;
  }

 private:
  std::uint32_t add_vertex(Vec3f p, Vec3f n, mesh::Rgb8 colour) {
    out_->positions.push_back(p);
    if (in_.normals.size() == in_.positions.size()) out_->normals.push_back(normalized(n));
    if (in_.colors.size() == in_.positions.size()) out_->colors.push_back(colour);
    return static_cast<std::uint32_t>(out_->positions.size() - 1);
  }

  std::uint32_t kept(std::uint32_t v) {
    if (map_[v] == kNone) {
      map_[v] = add_vertex(in_.positions[v], in_.normals.size() == in_.positions.size() ? in_.normals[v] : Vec3f{},
                           in_.colors.size() == in_.positions.size() ? in_.colors[v] : mesh::Rgb8{});
    }
    return map_[v];
  }

  // The new vertex where the edge u-v crosses the plane; the same for either direction.
  std::uint32_t crossing(std::uint32_t u, std::uint32_t v) {
    if (u > v) std::swap(u, v);
    const std::uint64_t key = (static_cast<std::uint64_t>(u) << 32U) | v;
    if (const auto it = edge_vertex_.find(key); it != edge_vertex_.end()) return it->second;
    const Vec3f pu = in_.positions[u];
    const Vec3f pv = in_.positions[v];
    const double t = (static_cast<double>(h_) - pu.y) / (static_cast<double>(pv.y) - pu.y);
    const auto lerp = [t](double a, double b) { return a + t * (b - a); };
    const Vec3f p{static_cast<float>(lerp(pu.x, pv.x)), h_, static_cast<float>(lerp(pu.z, pv.z))};
    Vec3f n;
    if (in_.normals.size() == in_.positions.size()) {
      const Vec3f nu = in_.normals[u];
      const Vec3f nv = in_.normals[v];
      n = {static_cast<float>(lerp(nu.x, nv.x)), static_cast<float>(lerp(nu.y, nv.y)),
           static_cast<float>(lerp(nu.z, nv.z))};
    }
    mesh::Rgb8 colour;
    if (in_.colors.size() == in_.positions.size()) {
      const auto mix = [&](std::uint8_t a, std::uint8_t b) {
        return static_cast<std::uint8_t>(std::lround(std::clamp(lerp(a, b), 0.0, 255.0)));
      };
      const mesh::Rgb8 cu = in_.colors[u];
      const mesh::Rgb8 cv = in_.colors[v];
      colour = {mix(cu.r, cv.r), mix(cu.g, cv.g), mix(cu.b, cv.b)};
    }
    const std::uint32_t id = add_vertex(p, n, colour);
    edge_vertex_.emplace(key, id);
    return id;
  }

  Status link(std::uint32_t from, std::uint32_t to) {
    if (next_.size() < out_->positions.size()) next_.resize(out_->positions.size(), kNone);
    if (next_[from] != kNone) {
      return make_error(ErrorCode::kInvalidArgument, "the mesh is not closed where the plane cuts it");
    }
    next_[from] = to;
    return ok();
  }

  Status collect_loops(std::vector<std::vector<std::uint32_t>>& loops) {
    next_.resize(out_->positions.size(), kNone);
    std::vector<bool> seen(next_.size(), false);
    for (std::uint32_t start = 0; start < next_.size(); ++start) {
      if (next_[start] == kNone || seen[start]) continue;
      std::vector<std::uint32_t> loop;
      std::uint32_t v = start;
      while (!seen[v]) {
        seen[v] = true;
        loop.push_back(v);
        v = next_[v];
        if (v == kNone) {
          return make_error(ErrorCode::kInvalidArgument, "the mesh is not closed where the plane cuts it");
        }
      }
      if (v != start)
        return make_error(ErrorCode::kInvalidArgument, "the mesh is not manifold where the plane cuts it");
      loops.push_back(std::move(loop));
    }
    return ok();
  }

  const mesh::Mesh& in_;
  float h_;
  mesh::Mesh* out_ = nullptr;  // borrowed: the cut being built
  std::vector<std::uint32_t> map_;
  std::vector<std::uint32_t> next_;  // closing edge from each cut vertex
  std::unordered_map<std::uint64_t, std::uint32_t> edge_vertex_;
};

}  // namespace

Result<PlaneCut> cut_below(const mesh::Mesh& mesh, float height) {
  ORFEAS_RETURN_IF_ERROR(mesh::check_indices(mesh));
  if (!std::isfinite(height)) return make_error(ErrorCode::kInvalidArgument, "the cut height is not finite");
  std::vector<float> ys;
  ys.reserve(mesh.positions.size());
  for (const Vec3f& p : mesh.positions) {
    if (!std::isfinite(p.x) || !std::isfinite(p.y) || !std::isfinite(p.z)) {
      return make_error(ErrorCode::kInvalidArgument, "a position is not finite");
    }
    ys.push_back(p.y);
  }
  if (ys.empty()) return PlaneCut{{}, height, {}};
  std::sort(ys.begin(), ys.end());
  const double extent = static_cast<double>(ys.back()) - ys.front();
  const double hair = std::max(1e-5 * extent, 4.0 * std::numeric_limits<float>::epsilon() * std::abs(height));
  const std::vector<float> heights = clear_heights(ys, height, hair);
  if (heights.empty()) {
    return make_error(ErrorCode::kInvalidArgument, fmt::format("no plane near y = {} misses every vertex", height));
  }
  // The nearest height whose cut makes no face of zero area; else the nearest (closed all the same).
  std::optional<PlaneCut> first;
  for (const float h : heights) {
    ORFEAS_ASSIGN_OR_RETURN(PlaneCut cut, Cutter(mesh, h).run());
    if (!has_flat_face(cut)) return cut;
    if (!first) first = std::move(cut);
  }
  return std::move(*first);
}

CutSection cut_section(const PlaneCut& cut) {
  CutSection s;
  double mx = 0.0;
  double mz = 0.0;
  for (const std::vector<std::uint32_t>& loop : cut.loops) {
    for (std::size_t i = 0, j = loop.size() - 1; i < loop.size(); j = i++) {
      const Vec3f a = cut.mesh.positions[loop[j]];
      const Vec3f b = cut.mesh.positions[loop[i]];
      const double w = static_cast<double>(a.x) * b.z - static_cast<double>(b.x) * a.z;
      s.area += w;
      mx += (static_cast<double>(a.x) + b.x) * w;
      mz += (static_cast<double>(a.z) + b.z) * w;
    }
  }
  s.area *= 0.5;
  if (s.area != 0.0) {
    s.centroid_x = mx / (6.0 * s.area);
    s.centroid_z = mz / (6.0 * s.area);
  }
  return s;
}

Result<mesh::Mesh> cap_cut(PlaneCut cut) {
  // In (x, z) a counter-clockwise triangle faces -y: the cap faces down.
  std::vector<Point2> points(cut.mesh.positions.size());
  for (const auto& loop : cut.loops) {
    for (const std::uint32_t v : loop) points[v] = {cut.mesh.positions[v].x, cut.mesh.positions[v].z};
  }
  ORFEAS_ASSIGN_OR_RETURN(const std::vector<mesh::Triangle> cap, triangulate_polygons(points, cut.loops));
  cut.mesh.triangles.insert(cut.mesh.triangles.end(), cap.begin(), cap.end());
  return std::move(cut.mesh);
}

}  // namespace orfeas::meshtools
