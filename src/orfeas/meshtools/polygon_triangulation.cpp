#include "orfeas/meshtools/polygon_triangulation.h"

#include <algorithm>
#include <cstddef>
#include <limits>
#include <string>
#include <unordered_map>

namespace orfeas::meshtools {
namespace {

// Twice the signed area of a, b, c: positive for a left (counter-clockwise) turn.
double turn(Point2 a, Point2 b, Point2 c) {
  return (b.x - a.x) * (c.y - b.y) - (b.y - a.y) * (c.x - b.x);
}

bool same_point(Point2 a, Point2 b) {
  return a.x == b.x && a.y == b.y;
}

// p inside or on the triangle a, b, c (counter-clockwise).
bool in_triangle(Point2 a, Point2 b, Point2 c, Point2 p) {
  return turn(a, b, p) >= 0.0 && turn(b, c, p) >= 0.0 && turn(c, a, p) >= 0.0;
}

bool on_segment(Point2 p, Point2 q, Point2 r) {  // q on the segment p-r, given collinear
  return q.x <= std::max(p.x, r.x) && q.x >= std::min(p.x, r.x) && q.y <= std::max(p.y, r.y) &&
         q.y >= std::min(p.y, r.y);
}

int sign(double v) {
  return v > 0.0 ? 1 : (v < 0.0 ? -1 : 0);
}

// Segments p1-q1 and p2-q2 cross or touch.
bool segments_meet(Point2 p1, Point2 q1, Point2 p2, Point2 q2) {
  const int o1 = sign(turn(p1, q1, p2));
  const int o2 = sign(turn(p1, q1, q2));
  const int o3 = sign(turn(p2, q2, p1));
  const int o4 = sign(turn(p2, q2, q1));
  if (o1 != o2 && o3 != o4) return true;
  if (o1 == 0 && on_segment(p1, p2, q1)) return true;
  if (o2 == 0 && on_segment(p1, q2, q1)) return true;
  if (o3 == 0 && on_segment(p2, p1, q2)) return true;
  if (o4 == 0 && on_segment(p2, q1, q2)) return true;
  return false;
}

// Even-odd test; p on the boundary counts either way (loops do not touch, so a vertex of one loop
// is never on another).
bool inside_loop(std::span<const Point2> points, std::span<const std::uint32_t> loop, Point2 p) {
  bool inside = false;
  for (std::size_t i = 0, j = loop.size() - 1; i < loop.size(); j = i++) {
    const Point2 a = points[loop[i]];
    const Point2 b = points[loop[j]];
    if ((a.y > p.y) != (b.y > p.y) && p.x < (b.x - a.x) * (p.y - a.y) / (b.y - a.y) + a.x) inside = !inside;
  }
  return inside;
}

// A doubly linked ring of vertex ids; a vertex may appear more than once (both ends of a bridge).
class Ring {
 public:
  explicit Ring(std::span<const Point2> points) : points_(points) {}

  // Appends `loop` as a new ring; returns its first node.
  std::size_t add_loop(std::span<const std::uint32_t> loop) {
    const std::size_t first = nodes_.size();
    for (std::size_t i = 0; i < loop.size(); ++i) {
      nodes_.push_back({loop[i], first + (i + loop.size() - 1) % loop.size(), first + (i + 1) % loop.size()});
    }
    return first;
  }

  // Splices the ring holding `hole` into the ring holding `outer` along the bridge outer-hole:
  // outer → hole … (around the hole) … hole' → outer' → (the rest of the outer ring).
  void bridge(std::size_t outer, std::size_t hole) {
    const std::size_t outer2 = copy_of(outer);
    const std::size_t hole2 = copy_of(hole);
    const std::size_t outer_next = nodes_[outer].next;
    const std::size_t hole_prev = nodes_[hole].prev;
    nodes_[outer].next = hole;
    nodes_[hole].prev = outer;
    nodes_[hole_prev].next = hole2;
    nodes_[hole2].prev = hole_prev;
    nodes_[hole2].next = outer2;
    nodes_[outer2].prev = hole2;
    nodes_[outer2].next = outer_next;
    nodes_[outer_next].prev = outer2;
  }

  // The node of the ring at `start` nearest to `node`'s point from which the segment to it stays
  // inside the polygon: crosses no edge of the ring or of the loops in `obstacles` and leaves the
  // node into its interior. Falls back to the nearest node when none qualifies (touching input).
  std::size_t visible_node(std::size_t start, std::size_t node, std::span<const std::size_t> obstacles) const {
    std::vector<std::pair<double, std::size_t>> candidates;
    const Point2 m = at(node);
    std::size_t n = start;
    do {
      const Point2 p = at(n);
      candidates.push_back({(p.x - m.x) * (p.x - m.x) + (p.y - m.y) * (p.y - m.y), n});
      n = nodes_[n].next;
    } while (n != start);
    std::sort(candidates.begin(), candidates.end());
    for (const auto& [distance, candidate] : candidates) {
      if (!locally_inside(candidate, m) || !locally_inside(node, at(candidate))) continue;
      bool blocked = crosses(start, candidate, node);
      for (std::size_t k = 0; !blocked && k < obstacles.size(); ++k) blocked = crosses(obstacles[k], candidate, node);
      if (!blocked) return candidate;
    }
    return candidates.front().second;
  }

  // The ring's node with the largest x (then y).
  std::size_t rightmost(std::size_t start) const {
    std::size_t best = start;
    std::size_t n = nodes_[start].next;
    while (n != start) {
      if (at(n).x > at(best).x || (at(n).x == at(best).x && at(n).y > at(best).y)) best = n;
      n = nodes_[n].next;
    }
    return best;
  }

  // Ear clipping of the ring at `start`; triangles appended to `out`.
  void clip(std::size_t start, std::vector<mesh::Triangle>& out) {
    std::size_t ear = start;
    std::size_t remaining = count(start);
    std::size_t since_last = 0;  // nodes looked at since the last clip
    bool relaxed = false;        // a full turn found no proper ear: take the best one there is
    while (remaining > 3) {
      const std::size_t prev = nodes_[ear].prev;
      const std::size_t next = nodes_[ear].next;
      if (nodes_[prev].id == nodes_[next].id) {  // x → y → x: a bridge and its twin, nothing to cover
        unlink(ear);
        unlink(next);
        remaining -= 2;
        ear = prev;
        since_last = 0;
        continue;
      }
      if (nodes_[ear].id == nodes_[next].id) {  // the two ends of a used-up bridge: one vertex
        unlink(next);
        --remaining;
        since_last = 0;
        continue;
      }
      if (is_ear(ear) || (relaxed && ear == best_ear_)) {
        out.push_back({nodes_[prev].id, nodes_[ear].id, nodes_[next].id});
        unlink(ear);
        --remaining;
        ear = next;
        since_last = 0;
        relaxed = false;
        continue;
      }
      ear = next;
      if (++since_last > remaining) {  // a whole turn without an ear
        best_ear_ = most_convex(ear);
        relaxed = true;
        since_last = 0;
      }
    }
    if (remaining == 3) {
      const std::size_t a = nodes_[ear].prev;
      const std::size_t c = nodes_[ear].next;
      const std::uint32_t ia = nodes_[a].id;
      const std::uint32_t ib = nodes_[ear].id;
      const std::uint32_t ic = nodes_[c].id;
      if (ia != ib && ib != ic && ia != ic) out.push_back({ia, ib, ic});
    }
  }

  [[nodiscard]] Point2 point(std::size_t node) const { return at(node); }

  [[nodiscard]] std::size_t count(std::size_t start) const {
    std::size_t n = 1;
    for (std::size_t i = nodes_[start].next; i != start; i = nodes_[i].next) ++n;
    return n;
  }

 private:
  struct Node {
    std::uint32_t id;
    std::size_t prev;
    std::size_t next;
  };

  [[nodiscard]] Point2 at(std::size_t node) const { return points_[nodes_[node].id]; }

  std::size_t copy_of(std::size_t node) {
    nodes_.push_back(nodes_[node]);
    return nodes_.size() - 1;
  }

  void unlink(std::size_t node) {
    nodes_[nodes_[node].prev].next = nodes_[node].next;
    nodes_[nodes_[node].next].prev = nodes_[node].prev;
  }

  // The direction from `node` towards p points into the polygon's interior at `node`.
  [[nodiscard]] bool locally_inside(std::size_t node, Point2 p) const {
    const Point2 a = at(node);
    const Point2 prev = at(nodes_[node].prev);
    const Point2 next = at(nodes_[node].next);
    if (turn(prev, a, next) >= 0.0) return turn(a, next, p) >= 0.0 && turn(prev, a, p) >= 0.0;
    return turn(a, next, p) >= 0.0 || turn(prev, a, p) >= 0.0;
  }

  // The segment between nodes a and b meets an edge of the ring at `start` that touches neither
  // of their vertices.
  [[nodiscard]] bool crosses(std::size_t start, std::size_t a, std::size_t b) const {
    const std::uint32_t ia = nodes_[a].id;
    const std::uint32_t ib = nodes_[b].id;
    std::size_t n = start;
    do {
      const std::size_t m = nodes_[n].next;
      const std::uint32_t in = nodes_[n].id;
      const std::uint32_t im = nodes_[m].id;
      if (in != ia && in != ib && im != ia && im != ib && segments_meet(at(n), at(m), at(a), at(b))) return true;
      n = m;
    } while (n != start);
    return false;
  }

  [[nodiscard]] bool is_ear(std::size_t ear) const {
    const std::size_t prev = nodes_[ear].prev;
    const std::size_t next = nodes_[ear].next;
    const Point2 a = at(prev);
    const Point2 b = at(ear);
    const Point2 c = at(next);
    if (turn(a, b, c) <= 0.0) return false;  // reflex or flat
    const std::uint32_t ia = nodes_[prev].id;
    const std::uint32_t ib = nodes_[ear].id;
    const std::uint32_t ic = nodes_[next].id;
    for (std::size_t p = nodes_[next].next; p != prev; p = nodes_[p].next) {
      const std::uint32_t ip = nodes_[p].id;
      if (ip == ia || ip == ib || ip == ic) continue;
      const Point2 q = at(p);
      if (same_point(q, a) || same_point(q, b) || same_point(q, c)) continue;
      // Only a vertex that is not convex can stand in an ear's way.
      if (turn(at(nodes_[p].prev), q, at(nodes_[p].next)) <= 0.0 && in_triangle(a, b, c, q)) return false;
    }
    return true;
  }

  // The node with the largest left turn (a triangle of positive area if there is one).
  [[nodiscard]] std::size_t most_convex(std::size_t start) const {
    std::size_t best = start;
    double best_turn = -std::numeric_limits<double>::infinity();
    std::size_t n = start;
    do {
      const double t = turn(at(nodes_[n].prev), at(n), at(nodes_[n].next));
      if (nodes_[nodes_[n].prev].id != nodes_[nodes_[n].next].id && t > best_turn) {
        best_turn = t;
        best = n;
      }
      n = nodes_[n].next;
    } while (n != start);
    return best;
  }

  std::span<const Point2> points_;
  std::vector<Node> nodes_;
  std::size_t best_ear_ = std::numeric_limits<std::size_t>::max();
};

// The triangles close the loops: each loop edge used once as it goes, every other edge by two
// triangles in opposite directions, no vertex twice in a triangle. Guards the watertightness the
// callers rely on against input the ear clipping could not handle (loops that cross).
Status check_closes(const std::vector<std::vector<std::uint32_t>>& loops, const std::vector<mesh::Triangle>& tris) {
  std::unordered_map<std::uint64_t, int> uses;  // directed edge → count
  const auto key = [](std::uint32_t a, std::uint32_t b) { return (static_cast<std::uint64_t>(a) << 32U) | b; };
  for (const mesh::Triangle& t : tris) {
    if (t[0] == t[1] || t[1] == t[2] || t[0] == t[2]) {
      return make_error(ErrorCode::kInternal, "the cap has a triangle with a repeated vertex");
    }
    for (std::size_t i = 0; i < 3; ++i) ++uses[key(t[i], t[(i + 1) % 3])];
  }
  // The rest of the surface uses each loop edge the other way.
  for (const auto& loop : loops) {
    for (std::size_t i = 0; i < loop.size(); ++i) ++uses[key(loop[(i + 1) % loop.size()], loop[i])];
  }
  for (const auto& [edge, count] : uses) {
    const auto twin = uses.find((edge << 32U) | (edge >> 32U));
    if (count != 1 || twin == uses.end() || twin->second != 1) {
      return make_error(ErrorCode::kInternal, "the loops could not be closed (do they cross?)");
    }
  }
  return ok();
}

}  // namespace

double twice_signed_area(std::span<const Point2> points, std::span<const std::uint32_t> loop) {
  double sum = 0.0;
  for (std::size_t i = 0, j = loop.size() - 1; i < loop.size(); j = i++) {
    const Point2 a = points[loop[j]];
    const Point2 b = points[loop[i]];
    sum += a.x * b.y - b.x * a.y;
  }
  return sum;
}

Result<std::vector<mesh::Triangle>> triangulate_polygons(std::span<const Point2> points,
                                                         const std::vector<std::vector<std::uint32_t>>& loops) {
  std::vector<double> areas(loops.size());
  for (std::size_t l = 0; l < loops.size(); ++l) {
    if (loops[l].size() < 3) {
      return make_error(ErrorCode::kInvalidArgument,
                        "loop " + std::to_string(l) + " has " + std::to_string(loops[l].size()) + " vertices");
    }
    for (const std::uint32_t id : loops[l]) {
      if (id >= points.size()) {
        return make_error(ErrorCode::kInvalidArgument, "loop " + std::to_string(l) + " refers to point " +
                                                           std::to_string(id) + " of " + std::to_string(points.size()));
      }
    }
    areas[l] = twice_signed_area(points, loops[l]);
  }
  // Each hole to the smallest outline around it.
  std::vector<std::vector<std::size_t>> holes_of(loops.size());
  for (std::size_t h = 0; h < loops.size(); ++h) {
    if (areas[h] >= 0.0) continue;
    std::size_t owner = loops.size();
    for (std::size_t o = 0; o < loops.size(); ++o) {
      if (areas[o] < 0.0 || !inside_loop(points, loops[o], points[loops[h].front()])) continue;
      if (owner == loops.size() || areas[o] < areas[owner]) owner = o;
    }
    if (owner == loops.size()) {
      return make_error(ErrorCode::kInvalidArgument, "hole " + std::to_string(h) + " lies in no outline");
    }
    holes_of[owner].push_back(h);
  }

  std::vector<mesh::Triangle> triangles;
  for (std::size_t o = 0; o < loops.size(); ++o) {
    if (areas[o] < 0.0) continue;
    Ring ring(points);
    const std::size_t start = ring.add_loop(loops[o]);
    // Holes from right to left (Eberly's order), each bridged to the nearest vertex it sees.
    std::vector<std::pair<std::size_t, std::size_t>> holes;  // (rightmost node, loop)
    for (const std::size_t h : holes_of[o]) holes.push_back({ring.rightmost(ring.add_loop(loops[h])), h});
    std::sort(holes.begin(), holes.end(),
              [&](const auto& a, const auto& b) { return ring.point(a.first).x > ring.point(b.first).x; });
    for (std::size_t k = 0; k < holes.size(); ++k) {
      std::vector<std::size_t> obstacles;
      for (std::size_t j = k; j < holes.size(); ++j) obstacles.push_back(holes[j].first);
      const std::size_t target = ring.visible_node(start, holes[k].first, obstacles);
      ring.bridge(target, holes[k].first);
    }
    ring.clip(start, triangles);
  }
  ORFEAS_RETURN_IF_ERROR(check_closes(loops, triangles));
  return triangles;
}

}  // namespace orfeas::meshtools
