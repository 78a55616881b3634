#include "orfeas/mesh/components.h"

#include <algorithm>
#include <numeric>

#include "orfeas/mesh/compact.h"

namespace orfeas::mesh {
namespace {

// Union-find over vertex ids with path halving and union by index (deterministic roots).
class DisjointSets {
 public:
  explicit DisjointSets(std::size_t count) : parent_(count) {
    std::iota(parent_.begin(), parent_.end(), std::uint32_t{0});
  }
  std::uint32_t find(std::uint32_t x) {
    while (parent_[x] != x) {
      parent_[x] = parent_[parent_[x]];
      x = parent_[x];
    }
    return x;
  }
  void join(std::uint32_t a, std::uint32_t b) {
    a = find(a);
    b = find(b);
    if (a == b) return;
    if (a < b) std::swap(a, b);
    parent_[a] = b;
  }

 private:
  std::vector<std::uint32_t> parent_;
};

}  // namespace

Result<ComponentLabels> label_components(const Mesh& mesh) {
  ORFEAS_RETURN_IF_ERROR(check_indices(mesh));
  DisjointSets sets(mesh.positions.size());
  for (const Triangle& t : mesh.triangles) {
    sets.join(t[0], t[1]);
    sets.join(t[1], t[2]);
  }
  ComponentLabels labels;
  labels.face_component.resize(mesh.triangles.size());
  constexpr auto kUnlabelled = static_cast<std::uint32_t>(-1);
  std::vector<std::uint32_t> label_of_root(mesh.positions.size(), kUnlabelled);
  for (std::size_t f = 0; f < mesh.triangles.size(); ++f) {
    std::uint32_t& label = label_of_root[sets.find(mesh.triangles[f][0])];
    if (label == kUnlabelled) {
      label = static_cast<std::uint32_t>(labels.count++);
      labels.face_count.push_back(0);
    }
    labels.face_component[f] = label;
    ++labels.face_count[label];
  }
  return labels;
}

Result<std::size_t> remove_small_components(Mesh& mesh, double min_fraction_of_largest) {
  ORFEAS_ASSIGN_OR_RETURN(const ComponentLabels labels, label_components(mesh));
  if (labels.count <= 1) return 0;
  const std::size_t largest = *std::max_element(labels.face_count.begin(), labels.face_count.end());
  const double min_faces = min_fraction_of_largest * static_cast<double>(largest);
  std::vector<bool> keep(labels.count);
  std::size_t removed = 0;
  for (std::size_t c = 0; c < labels.count; ++c) {
    keep[c] = static_cast<double>(labels.face_count[c]) >= min_faces;
    if (!keep[c]) ++removed;
  }
  if (removed == 0) return 0;
  std::size_t kept_faces = 0;
  for (std::size_t f = 0; f < mesh.triangles.size(); ++f) {
    if (keep[labels.face_component[f]]) mesh.triangles[kept_faces++] = mesh.triangles[f];
  }
  mesh.triangles.resize(kept_faces);
  ORFEAS_RETURN_IF_ERROR(compact_vertices(mesh));
  return removed;
}

}  // namespace orfeas::mesh
