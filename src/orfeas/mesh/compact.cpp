#include "orfeas/mesh/compact.h"

#include <cstdint>
#include <vector>

namespace orfeas::mesh {
namespace {

template <class T>
void compact_attribute(std::vector<T>& values, const std::vector<std::uint32_t>& new_index, std::size_t kept) {
  if (values.size() != new_index.size()) return;  // empty (or malformed): nothing to keep aligned
  constexpr auto kDropped = static_cast<std::uint32_t>(-1);
  for (std::size_t old = 0; old < values.size(); ++old) {
    // new_index[old] <= old, so moving forward in place never overwrites an unread value.
    if (new_index[old] != kDropped) values[new_index[old]] = values[old];
  }
  values.resize(kept);
}

}  // namespace

Status compact_vertices(Mesh& mesh) {
  ORFEAS_RETURN_IF_ERROR(check_indices(mesh));
  constexpr auto kDropped = static_cast<std::uint32_t>(-1);
  std::vector<std::uint32_t> new_index(mesh.positions.size(), kDropped);
  for (const Triangle& t : mesh.triangles) {
    for (const std::uint32_t index : t) new_index[index] = 0;
  }
  std::uint32_t kept = 0;
  for (auto& index : new_index) {
    if (index != kDropped) index = kept++;
  }
  if (kept == mesh.positions.size()) return ok();
  compact_attribute(mesh.positions, new_index, kept);
  compact_attribute(mesh.normals, new_index, kept);
  compact_attribute(mesh.colors, new_index, kept);
  for (Triangle& t : mesh.triangles) {
    for (auto& index : t) index = new_index[index];
  }
  return ok();
}

}  // namespace orfeas::mesh
