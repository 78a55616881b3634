#include "orfeas/mesh/simplify.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <utility>
#include <vector>

#include "orfeas/mesh/compact.h"
#include "orfeas/mesh/double_geometry.h"

namespace orfeas::mesh {
namespace {

// A moved face may turn by at most acos(0.25) ~ 75 degrees; beyond that it is taken as a fold.
constexpr double kMinNormalCosine = 0.25;
// Each pass accepts collapses up to this factor times the error of the collapse ranked at the
// pass's goal: many candidates are skipped because a neighbour collapsed first, so the limit must
// sit above the goal's error, but not so far that a pass takes collapses a later pass would rank
// behind newly cheap ones.
constexpr float kPassErrorSlack = 1.5F;
// Faces around one vertex we examine for the disk test; busier vertices are left in place.
constexpr std::size_t kMaxFan = 64;
// Error buckets: the top 12 bits of a non-negative float (exponent and 4 mantissa bits), steps of
// about 6 %. Within a bucket candidates stay in face order, which keeps collapses near each other
// in memory; finer buckets bought no better meshes.
constexpr int kBucketShift = 19;
constexpr std::size_t kBuckets = std::size_t{1} << 12U;

// Sum over faces of area * (signed distance to the face's plane)^2 as a function of position: the
// symmetric 4x4 matrix [A b; b^T c], ten entries.
struct Quadric {
  // a00 a01 a02 a11 a12 a22 (A), b0 b1 b2 (b), c
  std::array<double, 10> m{};

  void add(const Quadric& o) {
    for (std::size_t i = 0; i < m.size(); ++i) m[i] += o.m[i];
  }
  // p^T A p + 2 b.p + c
  [[nodiscard]] double error(Vec3f p) const {
    const double x = p.x;
    const double y = p.y;
    const double z = p.z;
    return x * (m[0] * x + 2.0 * (m[1] * y + m[2] * z + m[6])) + y * (m[3] * y + 2.0 * (m[4] * z + m[7])) +
           z * (m[5] * z + 2.0 * m[8]) + m[9];
  }
};

using internal::dot;
using internal::face_normal;
using internal::Vec3d;

Quadric face_quadric(Vec3f a, Vec3f b, Vec3f c) {
  const Vec3d n2 = face_normal(a, b, c);
  const double twice_area = std::sqrt(dot(n2, n2));
  Quadric q;
  if (twice_area == 0.0) return q;
  const Vec3d n{n2.x / twice_area, n2.y / twice_area, n2.z / twice_area};
  const double d = -(n.x * a.x + n.y * a.y + n.z * a.z);
  const double w = 0.5 * twice_area;
  q.m = {w * n.x * n.x, w * n.x * n.y, w * n.x * n.z, w * n.y * n.y, w * n.y * n.z,
         w * n.z * n.z, w * d * n.x,   w * d * n.y,   w * d * n.z,   w * d * d};
  return q;
}

// One candidate: merge `remove` into `keep` (which stays where it is).
struct Collapse {
  std::uint32_t remove;
  std::uint32_t keep;
  float error;
};

std::uint32_t bucket_of(float error) {
  return std::bit_cast<std::uint32_t>(error) >> kBucketShift;
}

// Why the collapses tried in one pass were turned down.
struct Refusals {
  std::size_t topology = 0;  // link condition or too few faces left around the merged vertex
  std::size_t fold = 0;      // a moved face would flip over or lose its area
};

std::string group_thousands(std::size_t value) {
  std::string digits = fmt::format("{}", value);
  for (std::size_t at = digits.size(); at > 3; at -= 3) digits.insert(at - 3, 1, ' ');
  return digits;
}

class Simplifier {
 public:
  Simplifier(const std::vector<Vec3f>& positions, std::vector<Triangle> faces)
      : positions_(positions),  // borrowed for the simplifier's lifetime
        faces_(std::move(faces)),
        quadrics_(positions.size()),
        free_(positions.size(), 0),
        locked_in_pass_(positions.size(), 0),
        mark_(positions.size(), 0) {}

  // Collapses until at most `target` faces remain or nothing more may collapse; returns the
  // surviving faces and, when the target was missed, the reason.
  std::pair<std::vector<Triangle>, std::string> run(std::size_t target) {
    build_incidence();
    classify_vertices();
    accumulate_quadrics();
    bool widen = false;
    for (std::uint32_t pass = 1; live_faces_ > target; ++pass) {
      if (pass > 1) build_incidence();
      collect_candidates();
      if (candidates_.empty()) {
        return {faces_, fmt::format("stopped at {} faces (target {}): the remaining vertices lie on open or "
                                    "non-manifold edges, which are kept as they are",
                                    group_thousands(live_faces_), group_thousands(target))};
      }
      Refusals refusals;
      const bool limited = order_candidates(target, widen);
      const std::size_t made = collapse_in_order(pass, target, refusals);
      if (made == 0 && !limited) {
        const char* why = refusals.fold > refusals.topology
                              ? "every further collapse would fold faces over"
                              : "every further collapse would pinch the surface or close a handle";
        drop_dead_faces();
        return {faces_, fmt::format("stopped at {} faces (target {}): {}", group_thousands(live_faces_),
                                    group_thousands(target), why)};
      }
      widen = made == 0;  // the error limit let nothing through: take every candidate next time
    }
    drop_dead_faces();
    return {faces_, std::string()};
  }

 private:
  std::span<const std::uint32_t> incident(std::uint32_t v) const {
    return {incident_.data() + first_[v], incident_.data() + first_[v + 1]};
  }

  void drop_dead_faces() {
    std::size_t kept = 0;
    for (std::size_t f = 0; f < faces_.size(); ++f) {
      if (alive_[f] != 0) faces_[kept++] = faces_[f];
    }
    faces_.resize(kept);
    alive_.assign(kept, 1);
    live_faces_ = kept;
  }

  // Vertex -> faces (compressed rows) over the live faces, which are first compacted.
  void build_incidence() {
    if (alive_.size() == faces_.size()) {
      drop_dead_faces();
    } else {
      alive_.assign(faces_.size(), 1);
      live_faces_ = faces_.size();
    }
    first_.assign(positions_.size() + 1, 0);
    for (const Triangle& t : faces_) {
      for (const std::uint32_t v : t) ++first_[v + 1];
    }
    for (std::size_t v = 0; v < positions_.size(); ++v) first_[v + 1] += first_[v];
    incident_.resize(first_.back());
    fill_.assign(first_.begin(), first_.end() - 1);
    for (std::uint32_t f = 0; f < faces_.size(); ++f) {
      for (const std::uint32_t v : faces_[f]) incident_[fill_[v]++] = f;
    }
  }

  // A vertex may be removed only when its faces form one closed, consistently oriented fan: then
  // every edge at it is used exactly twice, in opposite directions, and the link test is exact.
  void classify_vertices() {
    std::array<std::uint32_t, kMaxFan> next{};
    std::array<std::uint32_t, kMaxFan> previous{};
    for (std::uint32_t v = 0; v < positions_.size(); ++v) {
      const std::span<const std::uint32_t> fan = incident(v);
      if (fan.size() < 3 || fan.size() > kMaxFan) continue;
      bool disk = true;
      for (std::size_t i = 0; i < fan.size() && disk; ++i) {
        const Triangle& t = faces_[fan[i]];
        const std::size_t at = t[0] == v ? 0 : (t[1] == v ? 1 : 2);
        next[i] = t[(at + 1) % 3];
        previous[i] = t[(at + 2) % 3];
        disk = next[i] != v && previous[i] != v && next[i] != previous[i];
      }
      // Walk the fan face to face across shared edges; a disk visits every face once and returns.
      std::size_t at = 0;
      for (std::size_t steps = 0; disk && steps < fan.size(); ++steps) {
        std::size_t successors = 0;
        std::size_t successor = 0;
        for (std::size_t j = 0; j < fan.size(); ++j) {
          if (previous[j] == next[at]) {
            ++successors;
            successor = j;
          }
          if (j != at && next[j] == next[at]) disk = false;  // the edge is used twice one way
        }
        disk = disk && successors == 1 && (successor == 0) == (steps + 1 == fan.size());
        at = successor;
      }
      free_[v] = disk ? 1 : 0;
    }
  }

  void accumulate_quadrics() {
    for (const Triangle& t : faces_) {
      const Quadric q = face_quadric(positions_[t[0]], positions_[t[1]], positions_[t[2]]);
      for (const std::uint32_t v : t) quadrics_[v].add(q);
    }
  }

  // Every edge with a removable end, once, in its cheaper direction.
  void collect_candidates() {
    candidates_.clear();
    for (const Triangle& t : faces_) {
      for (std::size_t k = 0; k < 3; ++k) {
        const std::uint32_t a = t[k];
        const std::uint32_t b = t[(k + 1) % 3];
        // A removable vertex's edges all appear in both directions: take the one going up.
        if (a >= b || (free_[a] == 0 && free_[b] == 0)) continue;
        Quadric q = quadrics_[a];
        q.add(quadrics_[b]);
        constexpr double kNever = std::numeric_limits<double>::infinity();
        const double remove_a = free_[a] != 0 ? q.error(positions_[b]) : kNever;
        const double remove_b = free_[b] != 0 ? q.error(positions_[a]) : kNever;
        const auto error = static_cast<float>(std::max(0.0, std::min(remove_a, remove_b)));
        candidates_.push_back(remove_a <= remove_b ? Collapse{a, b, error} : Collapse{b, a, error});
      }
    }
  }

  // Counting sort on the error's leading bits of the candidates this pass may take. Returns
  // whether an error limit left some out.
  bool order_candidates(std::size_t target, bool widen) {
    counts_.assign(kBuckets + 1, 0);
    for (const Collapse& c : candidates_) ++counts_[bucket_of(c.error) + 1];
    const std::size_t goal = (live_faces_ - target + 1) / 2;
    std::uint32_t last_bucket = kBuckets - 1;
    if (!widen && goal < candidates_.size()) {
      std::size_t seen = 0;
      std::uint32_t goal_bucket = 0;
      while (seen + counts_[goal_bucket + 1] <= goal) seen += counts_[++goal_bucket];
      const float goal_error = std::bit_cast<float>((goal_bucket + 1) << kBucketShift);
      last_bucket = std::min(last_bucket, bucket_of(kPassErrorSlack * goal_error));
    }
    for (std::size_t b = 0; b < kBuckets; ++b) counts_[b + 1] += counts_[b];
    order_.resize(counts_[last_bucket + 1]);
    for (const Collapse& c : candidates_) {
      const std::uint32_t b = bucket_of(c.error);
      if (b <= last_bucket) order_[counts_[b]++] = c;
    }
    return order_.size() < candidates_.size();
  }

  std::size_t collapse_in_order(std::uint32_t pass, std::size_t target, Refusals& refusals) {
    std::size_t made = 0;
    // Candidates jump across the mesh: ask for the next ones' vertex data early.
    constexpr std::size_t kLookahead = 8;
    for (std::size_t i = 0; i < order_.size(); ++i) {
      if (live_faces_ <= target) break;
      if (i + kLookahead < order_.size()) prefetch_vertex_data(order_[i + kLookahead]);
      const Collapse& c = order_[i];
      if (locked_in_pass_[c.remove] == pass || locked_in_pass_[c.keep] == pass) continue;
      if (try_collapse(c.remove, c.keep, refusals)) {
        locked_in_pass_[c.remove] = pass;
        locked_in_pass_[c.keep] = pass;
        ++made;
      }
    }
    return made;
  }

  void prefetch_vertex_data(const Collapse& c) const {
    __builtin_prefetch(&quadrics_[c.remove]);
    __builtin_prefetch(&quadrics_[c.remove].m[7]);
    __builtin_prefetch(&quadrics_[c.keep]);
    __builtin_prefetch(&quadrics_[c.keep].m[7]);
    __builtin_prefetch(&first_[c.remove]);
    __builtin_prefetch(&first_[c.keep]);
    __builtin_prefetch(&locked_in_pass_[c.remove]);
    __builtin_prefetch(&locked_in_pass_[c.keep]);
  }

  // Within a pass neither end of a tried collapse has changed, so their incidence rows are
  // complete; faces in them may have died or been relabelled by neighbouring collapses.
  bool try_collapse(std::uint32_t remove, std::uint32_t keep, Refusals& refusals) {
    const std::uint32_t neighbour_of_remove = ++stamp_;
    const std::uint32_t shared = ++stamp_;
    const Vec3f target = positions_[keep];
    std::size_t remove_faces = 0;
    bool folds = false;
    for (const std::uint32_t f : incident(remove)) {
      if (alive_[f] == 0) continue;
      ++remove_faces;
      const Triangle& t = faces_[f];
      for (const std::uint32_t w : t) mark_[w] = neighbour_of_remove;
      if (folds || t[0] == keep || t[1] == keep || t[2] == keep) continue;  // the latter die
      const Vec3d before = face_normal(positions_[t[0]], positions_[t[1]], positions_[t[2]]);
      const Vec3d after =
          face_normal(t[0] == remove ? target : positions_[t[0]], t[1] == remove ? target : positions_[t[1]],
                      t[2] == remove ? target : positions_[t[2]]);
      const double scale = std::sqrt(dot(before, before) * dot(after, after));
      folds = scale == 0.0 || dot(before, after) < kMinNormalCosine * scale;
    }
    std::size_t keep_faces = 0;
    std::size_t common = 0;
    for (const std::uint32_t f : incident(keep)) {
      if (alive_[f] == 0) continue;
      ++keep_faces;
      for (const std::uint32_t w : faces_[f]) {
        if (w != remove && w != keep && mark_[w] == neighbour_of_remove) {
          mark_[w] = shared;
          ++common;
        }
      }
    }
    // Link condition: only the two vertices opposite the edge may be shared, and the merged vertex
    // needs three faces (the tetrahedron is as small as a closed surface gets). A three-face vertex
    // next to a fixed one could duplicate a face there.
    if (common != 2 || remove_faces + keep_faces < 7 || (remove_faces == 3 && free_[keep] == 0)) {
      ++refusals.topology;
      return false;
    }
    if (folds) {
      ++refusals.fold;
      return false;
    }
    for (const std::uint32_t f : incident(remove)) {
      if (alive_[f] == 0) continue;
      Triangle& t = faces_[f];
      if (t[0] == keep || t[1] == keep || t[2] == keep) {
        alive_[f] = 0;
        --live_faces_;
      } else {
        for (std::uint32_t& w : t) w = w == remove ? keep : w;
      }
    }
    quadrics_[keep].add(quadrics_[remove]);
    return true;
  }

  const std::vector<Vec3f>& positions_;
  std::vector<Triangle> faces_;
  std::vector<std::uint8_t> alive_;  // [faces_]
  std::size_t live_faces_ = 0;
  std::vector<Quadric> quadrics_;              // [positions]
  std::vector<std::uint8_t> free_;             // [positions] 1: may be removed
  std::vector<std::uint32_t> locked_in_pass_;  // [positions] the pass that last changed it
  std::vector<std::uint32_t> mark_;            // [positions] link-test stamps
  std::uint32_t stamp_ = 0;
  std::vector<std::uint32_t> first_;  // [positions + 1] rows of incident_
  std::vector<std::uint32_t> incident_;
  std::vector<std::uint32_t> fill_;
  std::vector<Collapse> candidates_;
  std::vector<std::size_t> counts_;
  std::vector<Collapse> order_;  // the candidates a pass may take, cheapest bucket first
};

}  // namespace

Result<SimplifyResult> simplify_mesh(Mesh mesh, std::size_t target_faces) {
  ORFEAS_RETURN_IF_ERROR(check_indices(mesh));
  SimplifyResult result;
  result.target_faces = target_faces;
  if (target_faces > 0 && target_faces < mesh.triangles.size()) {
    Simplifier simplifier(mesh.positions, std::move(mesh.triangles));
    auto [faces, note] = simplifier.run(target_faces);
    mesh.triangles = std::move(faces);
    result.note = std::move(note);
    ORFEAS_RETURN_IF_ERROR(compact_vertices(mesh));
  }
  result.faces = mesh.triangles.size();
  result.mesh = std::move(mesh);
  return result;
}

}  // namespace orfeas::mesh
