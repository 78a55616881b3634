#include "orfeas/export/stl.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>

#include <fmt/format.h>

#include "orfeas/export/little_endian.h"
#include "orfeas/export/mesh_check.h"

namespace orfeas::exporter {
namespace {

constexpr std::size_t kHeaderBytes = 80;
constexpr std::size_t kTriangleRecordBytes = 50;

}  // namespace

Vec3f facet_normal(Vec3f a, Vec3f b, Vec3f c) {
  // In double: thin triangles of a fine mesh would otherwise lose most of their normal's digits.
  const double ux = static_cast<double>(b.x) - a.x;
  const double uy = static_cast<double>(b.y) - a.y;
  const double uz = static_cast<double>(b.z) - a.z;
  const double vx = static_cast<double>(c.x) - a.x;
  const double vy = static_cast<double>(c.y) - a.y;
  const double vz = static_cast<double>(c.z) - a.z;
  const double nx = uy * vz - uz * vy;
  const double ny = uz * vx - ux * vz;
  const double nz = ux * vy - uy * vx;
  const double len = std::sqrt(nx * nx + ny * ny + nz * nz);
  if (!(len > 0.0) || !std::isfinite(len)) return {};
  return {static_cast<float>(nx / len), static_cast<float>(ny / len), static_cast<float>(nz / len)};
}

Status write_stl(const mesh::Mesh& mesh, AtomicFile& out) {
  ORFEAS_RETURN_IF_ERROR(check_exportable(mesh));
  if (mesh.triangles.size() > std::numeric_limits<std::uint32_t>::max()) {
    return make_error(ErrorCode::kLimitExceeded,
                      fmt::format("binary STL holds at most 2^32-1 triangles, mesh has {}", mesh.triangles.size()));
  }
  std::array<std::byte, kHeaderBytes + 4> header{};
  std::fill(header.begin(), header.begin() + kHeaderBytes, std::byte{' '});
  std::transform(kStlHeaderText.begin(), kStlHeaderText.end(), header.begin(),
                 [](char c) { return static_cast<std::byte>(c); });
  detail::store_le(header.data() + kHeaderBytes, static_cast<std::uint32_t>(mesh.triangles.size()));
  ORFEAS_RETURN_IF_ERROR(out.write(header));

  std::array<std::byte, kTriangleRecordBytes> record{};
  for (const mesh::Triangle& triangle : mesh.triangles) {
    const Vec3f a = mesh.positions[triangle[0]];
    const Vec3f b = mesh.positions[triangle[1]];
    const Vec3f c = mesh.positions[triangle[2]];
    std::byte* cursor = detail::store_le(record.data(), facet_normal(a, b, c));
    cursor = detail::store_le(cursor, a);
    cursor = detail::store_le(cursor, b);
    cursor = detail::store_le(cursor, c);
    detail::store_le(cursor, std::uint16_t{0});
    ORFEAS_RETURN_IF_ERROR(out.write(record));
  }
  return ok();
}

}  // namespace orfeas::exporter
