#include "orfeas/meshtools/base.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numbers>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "orfeas/export/placement.h"
#include "orfeas/mesh/double_geometry.h"
#include "orfeas/meshtools/plane_cut.h"
#include "orfeas/meshtools/polygon_triangulation.h"

namespace orfeas::meshtools {
namespace {

constexpr int kLevels = 200;  // horizontal sections over the model's height

using mesh::internal::Vec3d;

Vec3d widen(Vec3f v) {
  return mesh::internal::to_double(v);
}

// Volume integrals of a solid from tetrahedra with their apex at the origin.
struct Moments {
  double volume = 0.0;
  double x = 0.0;  // ∫ x dV
  double z = 0.0;  // ∫ z dV

  void add_triangle(Vec3d a, Vec3d b, Vec3d c) {
    const double v =
        (a.x * (b.y * c.z - b.z * c.y) + a.y * (b.z * c.x - b.x * c.z) + a.z * (b.x * c.y - b.y * c.x)) / 6.0;
    volume += v;
    x += v * (a.x + b.x + c.x) / 4.0;
    z += v * (a.z + b.z + c.z) / 4.0;
  }
  void add(const Moments& o) {
    volume += o.volume;
    x += o.x;
    z += o.z;
  }
};

// One horizontal section at `height`: the part of the solid above it (without its cap), the
// section's area and first moments (shoelace over the closing edges), and its points.
struct Level {
  double height = 0.0;
  Moments clipped;  // the faces cut by the plane, their parts above
  double twice_area = 0.0;
  double area_x = 0.0;  // 6 · area · centroid x
  double area_z = 0.0;
  std::vector<Point2> points;  // (x, z); kept for the candidates only
};

void add_closing_edge(Level& level, Vec3d a, Vec3d b, bool keep_points) {
  const double w = a.x * b.z - b.x * a.z;
  level.twice_area += w;
  level.area_x += (a.x + b.x) * w;
  level.area_z += (a.z + b.z) * w;
  if (keep_points) level.points.push_back({a.x, a.z});
}

Vec3d at_height(Vec3d p, Vec3d q, double h) {
  const double t = (h - p.y) / (q.y - p.y);
  return {p.x + t * (q.x - p.x), h, p.z + t * (q.z - p.z)};
}

// The part of triangle (a, b, c) above level.height, as plane_cut.cpp cuts it.
void clip_into(Level& level, std::array<Vec3d, 3> v, bool keep_points) {
  const double h = level.height;
  std::array<bool, 3> up{};
  int ups = 0;
  for (std::size_t c = 0; c < 3; ++c) {
    up[c] = v[c].y > h;
    ups += up[c] ? 1 : 0;
  }
  std::size_t r = 0;
  for (std::size_t c = 0; c < 3; ++c) {
    if (ups == 1 ? up[c] : !up[(c + 2) % 3]) r = c;
  }
  const Vec3d a = v[r];
  const Vec3d b = v[(r + 1) % 3];
  const Vec3d c = v[(r + 2) % 3];
  if (ups == 1) {
    const Vec3d pab = at_height(a, b, h);
    const Vec3d pca = at_height(c, a, h);
    level.clipped.add_triangle(a, pab, pca);
    add_closing_edge(level, pca, pab, keep_points);
  } else {
    const Vec3d pbc = at_height(b, c, h);
    const Vec3d pca = at_height(c, a, h);
    level.clipped.add_triangle(a, b, pbc);
    level.clipped.add_triangle(a, pbc, pca);
    add_closing_edge(level, pca, pbc, keep_points);
  }
}

// Andrew's monotone chain: the convex hull, counter-clockwise.
std::vector<Point2> convex_hull(std::vector<Point2> p) {
  std::sort(p.begin(), p.end(), [](Point2 a, Point2 b) { return a.x != b.x ? a.x < b.x : a.y < b.y; });
  if (p.size() < 3) return p;
  std::vector<Point2> hull(2 * p.size());
  std::size_t k = 0;
  const auto turn = [](Point2 o, Point2 a, Point2 b) { return (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x); };
  for (const Point2& q : p) {
    while (k >= 2 && turn(hull[k - 2], hull[k - 1], q) <= 0.0) --k;
    hull[k++] = q;
  }
  const std::size_t lower = k + 1;
  for (std::size_t i = p.size() - 1; i-- > 0;) {
    while (k >= lower && turn(hull[k - 2], hull[k - 1], p[i]) <= 0.0) --k;
    hull[k++] = p[i];
  }
  hull.resize(k - 1);
  return hull;
}

// Signed distance from q to the hull's boundary: positive inside.
double inside_margin(const std::vector<Point2>& hull, Point2 q) {
  if (hull.size() < 3) return -std::numeric_limits<double>::infinity();
  double margin = std::numeric_limits<double>::infinity();
  for (std::size_t i = 0; i < hull.size(); ++i) {
    const Point2 a = hull[i];
    const Point2 b = hull[(i + 1) % hull.size()];
    const double len = std::hypot(b.x - a.x, b.y - a.y);
    if (len == 0.0) continue;
    margin = std::min(margin, ((b.x - a.x) * (q.y - a.y) - (b.y - a.y) * (q.x - a.x)) / len);
  }
  return margin;
}

struct Scale {
  double mm_per_unit = 1.0;
  double y_min = 0.0;
  double height = 0.0;
};

Result<Scale> scale_of(const mesh::Mesh& mesh, const BaseOptions& options) {
  ORFEAS_RETURN_IF_ERROR(validate(options));
  ORFEAS_RETURN_IF_ERROR(mesh::check_indices(mesh));
  for (const Vec3f& p : mesh.positions) {
    if (!std::isfinite(p.x) || !std::isfinite(p.y) || !std::isfinite(p.z)) {
      return make_error(ErrorCode::kInvalidArgument, "base: a position is not finite");
    }
  }
  const exporter::Bounds bounds = exporter::compute_bounds(mesh.positions);
  const double height = static_cast<double>(bounds.max.y) - bounds.min.y;
  if (mesh.empty() || !(height > 0.0)) {
    return make_error(ErrorCode::kInvalidArgument, "base: the mesh is empty or flat");
  }
  return Scale{options.size_mm / static_cast<double>(bounds.longest_side()), bounds.min.y, height};
}

// The sections at kLevels heights over the model: level k at y_min + (k + 1) · step.
std::vector<Level> sections(const mesh::Mesh& mesh, const Scale& s, std::size_t candidates,
                            std::vector<Moments>& above) {
  const double step = s.height / kLevels;
  std::vector<Level> levels(kLevels - 1);
  for (std::size_t k = 0; k < levels.size(); ++k) levels[k].height = s.y_min + static_cast<double>(k + 1) * step;
  std::vector<Moments> whole(levels.size() + 1);  // [k]: the faces whole above levels 0 … k-1
  for (const mesh::Triangle& t : mesh.triangles) {
    const std::array<Vec3d, 3> v = {widen(mesh.positions[t[0]]), widen(mesh.positions[t[1]]),
                                    widen(mesh.positions[t[2]])};
    const double lo = std::min({v[0].y, v[1].y, v[2].y});
    const double hi = std::max({v[0].y, v[1].y, v[2].y});
    // Levels k < first lie at or below the face: it is whole above them.
    auto first = static_cast<std::size_t>(std::clamp(std::floor((lo - s.y_min) / step), 0.0, double(levels.size())));
    while (first > 0 && levels[first - 1].height > lo) --first;
    while (first < levels.size() && levels[first].height <= lo) ++first;
    Moments m;
    m.add_triangle(v[0], v[1], v[2]);
    whole[first].add(m);
    for (std::size_t k = first; k < levels.size() && levels[k].height < hi; ++k)
      clip_into(levels[k], v, k < candidates);
  }
  // above[k]: the faces whole above level k, those with first > k.
  above.assign(levels.size(), Moments{});
  Moments sum;
  for (std::size_t k = levels.size(); k-- > 0;) {
    sum.add(whole[k + 1]);
    above[k] = sum;
  }
  return levels;
}

// Cuts at `height` and closes the cut with a cap; the error when it cannot.
Result<mesh::Mesh> flat_cut(const mesh::Mesh& mesh, float height, float& used_height) {
  ORFEAS_ASSIGN_OR_RETURN(PlaneCut cut, cut_below(mesh, height));
  used_height = cut.height;
  return cap_cut(std::move(cut));
}

// Cuts at `height` and joins a plate under the cut: the rectangle [x0, x1] × [z0, z1], `thickness`
// below it.
Result<mesh::Mesh> plinth_cut(const mesh::Mesh& mesh, float height, const std::array<double, 4>& rect, double thickness,
                              float& used_height) {
  ORFEAS_ASSIGN_OR_RETURN(PlaneCut cut, cut_below(mesh, height));
  used_height = cut.height;
  mesh::Mesh out = std::move(cut.mesh);
  const auto h = cut.height;
  const auto bottom = static_cast<float>(h - thickness);
  const auto base = static_cast<std::uint32_t>(out.positions.size());
  const std::array<std::array<double, 2>, 4> corners = {
      {{rect[0], rect[2]}, {rect[1], rect[2]}, {rect[1], rect[3]}, {rect[0], rect[3]}}};
  for (const float y : {h, bottom}) {
    for (const auto& c : corners) out.positions.push_back({static_cast<float>(c[0]), y, static_cast<float>(c[1])});
  }
  if (out.colors.size() == base) {  // coloured: the plate takes the colour of the cut
    const mesh::Rgb8 colour = cut.loops.empty() ? mesh::Rgb8{} : out.colors[cut.loops.front().front()];
    out.colors.resize(out.positions.size(), colour);
  } else {
    out.colors.clear();
  }
  out.normals.clear();
  // The top faces +y: counter-clockwise in (x, -z). The cut's outlines are its holes, the cut's
  // holes its islands; the rectangle is its outline.
  std::vector<Point2> points(out.positions.size());
  for (std::size_t i = 0; i < out.positions.size(); ++i) points[i] = {out.positions[i].x, -out.positions[i].z};
  std::vector<std::uint32_t> ring = {base, base + 1, base + 2, base + 3};
  if (twice_signed_area(points, ring) < 0.0) std::reverse(ring.begin(), ring.end());
  std::vector<std::vector<std::uint32_t>> loops = std::move(cut.loops);
  loops.push_back(ring);
  ORFEAS_ASSIGN_OR_RETURN(const std::vector<mesh::Triangle> top, triangulate_polygons(points, loops));
  out.triangles.insert(out.triangles.end(), top.begin(), top.end());
  for (std::size_t i = 0; i < 4; ++i) {  // sides: the top uses ring[i] → ring[i + 1]
    const std::uint32_t a = ring[i];
    const std::uint32_t b = ring[(i + 1) % 4];
    out.triangles.push_back({b, a, a + 4});
    out.triangles.push_back({b, a + 4, b + 4});
  }
  out.triangles.push_back({ring[0] + 4, ring[3] + 4, ring[2] + 4});  // bottom, facing -y
  out.triangles.push_back({ring[0] + 4, ring[2] + 4, ring[1] + 4});
  return out;
}

struct Candidates {
  Scale scale;
  double needed_area = 0.0;        // model units²
  std::vector<CutChoice> choices;  // from the lowest level up to the cut limit
};

Result<Candidates> evaluate_candidates(const mesh::Mesh& mesh, const BaseOptions& options) {
  Candidates out;
  ORFEAS_ASSIGN_OR_RETURN(out.scale, scale_of(mesh, options));
  const Scale& s = out.scale;
  const auto candidates = static_cast<std::size_t>(std::max(1.0, std::floor(options.max_cut_share * kLevels)));
  std::vector<Moments> above;
  const std::vector<Level> levels = sections(mesh, s, candidates, above);
  double largest = 0.0;
  for (const Level& level : levels) largest = std::max(largest, 0.5 * level.twice_area);
  out.needed_area =
      std::max(options.min_footprint_share * largest, options.min_footprint_mm2 / (s.mm_per_unit * s.mm_per_unit));
  for (std::size_t k = 0; k < candidates && k < levels.size(); ++k) {
    const Level& level = levels[k];
    CutChoice c;
    c.height = static_cast<float>(level.height);
    c.cut_share = (level.height - s.y_min) / s.height;
    c.footprint_area = 0.5 * level.twice_area;
    c.largest_section = largest;
    // The solid above: whole faces, clipped faces and the cap (a cone from the origin to a plane
    // polygon facing -y at y = h: volume -A·h/3, first moments -(h/4)·A·centroid).
    Moments m = above[k];
    m.add(level.clipped);
    m.volume -= c.footprint_area * level.height / 3.0;
    m.x -= level.height / 4.0 * level.area_x / 6.0;
    m.z -= level.height / 4.0 * level.area_z / 6.0;
    c.outline = convex_hull(level.points);
    c.margin = -std::numeric_limits<double>::infinity();
    if (m.volume > 0.0) {
      c.centre_x = m.x / m.volume;
      c.centre_z = m.z / m.volume;
      c.margin = inside_margin(c.outline, {c.centre_x, c.centre_z});
    }
    const double radius = std::sqrt(std::max(c.footprint_area, 0.0) / std::numbers::pi);
    const double needed_margin = std::max(options.min_margin_share * radius, options.min_margin_mm / s.mm_per_unit);
    c.stable = c.footprint_area >= out.needed_area && c.margin >= needed_margin;
    out.choices.push_back(std::move(c));
  }
  return out;
}

// The lowest stable candidate; none stable: where the centre of mass is best supported among the
// footprints large enough, else the cut limit.
CutChoice pick_flat(const Candidates& found) {
  for (const CutChoice& c : found.choices) {
    if (c.stable) return c;
  }
  const CutChoice* best = nullptr;
  for (const CutChoice& c : found.choices) {
    if (c.footprint_area >= found.needed_area && (best == nullptr || c.margin > best->margin)) best = &c;
  }
  return best != nullptr ? *best : found.choices.back();
}

}  // namespace

Status validate(const BaseOptions& o) {
  const auto positive = [](double v) { return std::isfinite(v) && v > 0.0; };
  const auto share = [](double v) { return v >= 0.0 && v <= 1.0; };
  if (!positive(o.size_mm)) return make_error(ErrorCode::kInvalidArgument, "base: size_mm must be positive");
  if (!(o.max_cut_share > 0.0 && o.max_cut_share < 1.0)) {
    return make_error(ErrorCode::kInvalidArgument, "base: max_cut_share must be within (0, 1)");
  }
  if (!share(o.min_footprint_share) || !share(o.min_margin_share) || !(o.min_footprint_mm2 >= 0.0) ||
      !(o.min_margin_mm >= 0.0) || !positive(o.plinth_thickness_mm) || !(o.plinth_margin_mm >= 0.0)) {
    return make_error(ErrorCode::kInvalidArgument, "base: an option is out of range");
  }
  return ok();
}

Result<BaseMode> parse_base_mode(std::string_view name) {
  for (const BaseMode mode : {BaseMode::kAuto, BaseMode::kNone, BaseMode::kFlat, BaseMode::kPlinth}) {
    if (base_mode_name(mode) == name) return mode;
  }
  return make_error(ErrorCode::kInvalidArgument,
                    fmt::format("unknown base '{}' (expected auto, flat, plinth or none)", name));
}

std::string_view base_mode_name(BaseMode mode) {
  switch (mode) {
    case BaseMode::kAuto:
      return "auto";
    case BaseMode::kNone:
      return "none";
    case BaseMode::kFlat:
      return "flat";
    case BaseMode::kPlinth:
      return "plinth";
  }
  return "none";
}

BaseMode resolve_base_mode(BaseMode mode, exporter::Format format) {
  if (mode != BaseMode::kAuto) return mode;
  return exporter::is_print_format(format) ? BaseMode::kFlat : BaseMode::kNone;
}

Result<CutChoice> choose_cut_height(const mesh::Mesh& mesh, const BaseOptions& options) {
  ORFEAS_ASSIGN_OR_RETURN(const Candidates found, evaluate_candidates(mesh, options));
  return pick_flat(found);
}

Result<BaseReport> add_base(mesh::Mesh& mesh, const BaseOptions& options) {
  BaseReport report;
  ORFEAS_RETURN_IF_ERROR(validate(options));
  if (options.mode == BaseMode::kNone || options.mode == BaseMode::kAuto) return report;
  ORFEAS_ASSIGN_OR_RETURN(const Candidates found, evaluate_candidates(mesh, options));
  const Scale& s = found.scale;
  const double mm2_per_unit2 = s.mm_per_unit * s.mm_per_unit;
  Result<mesh::Mesh> based = make_error(ErrorCode::kInternal, "no base");
  float used = 0.0F;
  if (options.mode == BaseMode::kFlat) {
    const CutChoice choice = pick_flat(found);
    based = flat_cut(mesh, choice.height, used);
    report.stable = choice.stable;
    report.footprint_mm2 = choice.footprint_area * mm2_per_unit2;
    if (!choice.stable) {
      report.note = fmt::format(
          "no flat cut up to {:.0f} % of the height carries the centre of mass (cut at {:.1f} %, footprint {:.0f} "
          "mm²); try --base plinth",
          options.max_cut_share * 100.0, choice.cut_share * 100.0, report.footprint_mm2);
    }
  } else {
    // Just enough for a flat join: the lowest level with a quarter of the flat base's footprint.
    const CutChoice* join = &found.choices.back();
    for (const CutChoice& c : found.choices) {
      if (c.footprint_area >= 0.25 * found.needed_area) {
        join = &c;
        break;
      }
    }
    // The plate holds the join and, around the centre of mass, a square of the flat base's
    // footprint (the same stability), plus the margin.
    const double margin = options.plinth_margin_mm / s.mm_per_unit;
    const double half = 0.5 * std::sqrt(found.needed_area);
    std::array<double, 4> rect = {join->centre_x - half, join->centre_x + half, join->centre_z - half,
                                  join->centre_z + half};
    for (const Point2& p : join->outline) {
      rect = {std::min(rect[0], p.x), std::max(rect[1], p.x), std::min(rect[2], p.y), std::max(rect[3], p.y)};
    }
    rect = {rect[0] - margin, rect[1] + margin, rect[2] - margin, rect[3] + margin};
    based = plinth_cut(mesh, join->height, rect, options.plinth_thickness_mm / s.mm_per_unit, used);
    report.footprint_mm2 = (rect[1] - rect[0]) * (rect[3] - rect[2]) * mm2_per_unit2;
  }
  if (!based) {
    report.stable = false;
    report.footprint_mm2 = 0.0;
    report.note = "no base: " + based.error().message();
    return report;
  }
  mesh = std::move(*based);
  mesh.normals.clear();
  report.mode = options.mode;
  report.cut_height = used;
  report.cut_share = (static_cast<double>(used) - s.y_min) / s.height;
  return report;
}

}  // namespace orfeas::meshtools
