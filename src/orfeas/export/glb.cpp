#include "orfeas/export/glb.h"

#include <array>
#include <cmath>
#include <cstddef>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "orfeas/export/little_endian.h"
#include "orfeas/export/mesh_check.h"
#include "orfeas/export/placement.h"

namespace orfeas::exporter {
namespace {

// Vec3f and Triangle arrays go to the BIN chunk as they lie in memory.
static_assert(sizeof(Vec3f) == 12 && sizeof(mesh::Triangle) == 12);

constexpr int kComponentFloat = 5126;
constexpr int kComponentUnsignedShort = 5123;
constexpr int kComponentUnsignedInt = 5125;
constexpr int kTargetArrayBuffer = 34962;
constexpr int kTargetElementArrayBuffer = 34963;
constexpr int kModeTriangles = 4;
// 65535 is the primitive-restart value of UNSIGNED_SHORT indices, which glTF forbids.
constexpr std::size_t kMaxVerticesForShortIndices = 65535;

constexpr std::size_t padded4(std::size_t bytes) {
  return (bytes + 3) & ~std::size_t{3};
}

// The mesh's normals made unit length; a zero one (which the validator rejects) becomes the
// area-weighted normal of the triangles around the vertex, or +Y for an isolated vertex.
std::vector<Vec3f> unit_normals(const mesh::Mesh& mesh) {
  std::vector<Vec3f> normals(mesh.normals.size());
  bool any_zero = false;
  for (std::size_t i = 0; i < normals.size(); ++i) {
    normals[i] = normalized(mesh.normals[i]);
    any_zero = any_zero || normals[i] == Vec3f{};
  }
  if (!any_zero) return normals;
  std::vector<Vec3f> from_faces(normals.size());
  for (const mesh::Triangle& t : mesh.triangles) {
    const Vec3f a = mesh.positions[t[0]];
    const Vec3f area_weighted = cross(mesh.positions[t[1]] - a, mesh.positions[t[2]] - a);
    for (const std::uint32_t v : t) from_faces[v] += area_weighted;
  }
  for (std::size_t i = 0; i < normals.size(); ++i) {
    if (normals[i] != Vec3f{}) continue;
    normals[i] = normalized(from_faces[i]);
    if (normals[i] == Vec3f{}) normals[i] = {0.0F, 1.0F, 0.0F};
  }
  return normals;
}

std::vector<Vec3f> linear_colors(const mesh::Mesh& mesh) {
  std::array<float, 256> table{};
  for (std::size_t i = 0; i < table.size(); ++i) {
    table[i] = srgb_to_linear(static_cast<std::uint8_t>(i));
  }
  std::vector<Vec3f> colors;
  colors.reserve(mesh.colors.size());
  for (const mesh::Rgb8 c : mesh.colors) colors.push_back({table[c.r], table[c.g], table[c.b]});
  return colors;
}

// The BIN chunk as a list of byte ranges, each the data of one bufferView.
class BinLayout {
 public:
  // Adds a bufferView holding `bytes` and returns its index.
  std::size_t add_view(std::span<const std::byte> bytes, int target, nlohmann::ordered_json& gltf) {
    const std::size_t index = views_.size();
    gltf["bufferViews"].push_back(
        {{"buffer", 0}, {"byteOffset", length_}, {"byteLength", bytes.size()}, {"target", target}});
    views_.push_back(bytes);
    length_ = padded4(length_ + bytes.size());
    return index;
  }

  [[nodiscard]] std::size_t length() const { return length_; }  // padded to 4 bytes

  Status write(AtomicFile& out) const {
    static constexpr std::array<std::byte, 3> kZeros{};
    for (const std::span<const std::byte> view : views_) {
      ORFEAS_RETURN_IF_ERROR(out.write(view));
      ORFEAS_RETURN_IF_ERROR(out.write(std::span(kZeros).first(padded4(view.size()) - view.size())));
    }
    return ok();
  }

 private:
  std::vector<std::span<const std::byte>> views_;
  std::size_t length_ = 0;
};

nlohmann::ordered_json vec3_json(Vec3f v) {
  // Doubles holding the exact float values: the validator compares min/max with the data.
  return {static_cast<double>(v.x), static_cast<double>(v.y), static_cast<double>(v.z)};
}

nlohmann::ordered_json vec3_accessor(std::size_t view, std::size_t count) {
  return {{"bufferView", view}, {"componentType", kComponentFloat}, {"count", count}, {"type", "VEC3"}};
}

nlohmann::ordered_json gltf_skeleton() {
  return {
      {"asset", {{"version", "2.0"}, {"generator", "ORFEAS"}}},
      {"scene", 0},
      {"scenes", {{{"nodes", {0}}}}},
      {"nodes", {{{"mesh", 0}, {"name", "ORFEAS mesh"}}}},
      {"materials",
       {{{"name", "ORFEAS default"},
         {"pbrMetallicRoughness",
          {{"baseColorFactor", {1.0, 1.0, 1.0, 1.0}}, {"metallicFactor", 0.0}, {"roughnessFactor", 0.9}}},
         {"doubleSided", false}}}},
      {"bufferViews", nlohmann::ordered_json::array()},
      {"accessors", nlohmann::ordered_json::array()},
  };
}

Status write_chunk_header(AtomicFile& out, std::size_t length, std::uint32_t type) {
  std::array<std::byte, 8> header{};
  detail::store_le(detail::store_le(header.data(), static_cast<std::uint32_t>(length)), type);
  return out.write(header);
}

}  // namespace

float srgb_to_linear(std::uint8_t srgb) {
  const double c = srgb / 255.0;
  const double linear = c <= 0.04045 ? c / 12.92 : std::pow((c + 0.055) / 1.055, 2.4);
  return static_cast<float>(linear);
}

Status write_glb(const mesh::Mesh& mesh, AtomicFile& out) {
  ORFEAS_RETURN_IF_ERROR(check_exportable(mesh));
  const std::size_t vertex_count = mesh.positions.size();
  const std::vector<Vec3f> normals = unit_normals(mesh);
  const std::vector<Vec3f> colors = linear_colors(mesh);
  std::vector<std::uint16_t> short_indices;
  const bool use_short_indices = vertex_count <= kMaxVerticesForShortIndices;
  if (use_short_indices) {
    short_indices.reserve(mesh.triangles.size() * 3);
    for (const mesh::Triangle& t : mesh.triangles) {
      for (const std::uint32_t v : t) short_indices.push_back(static_cast<std::uint16_t>(v));
    }
  }

  nlohmann::ordered_json gltf = gltf_skeleton();
  BinLayout bin;
  nlohmann::ordered_json attributes;
  const Bounds bounds = compute_bounds(mesh.positions);
  nlohmann::ordered_json position =
      vec3_accessor(bin.add_view(std::as_bytes(std::span(mesh.positions)), kTargetArrayBuffer, gltf), vertex_count);
  position["min"] = vec3_json(bounds.min);
  position["max"] = vec3_json(bounds.max);
  attributes["POSITION"] = gltf["accessors"].size();
  gltf["accessors"].push_back(std::move(position));
  if (!normals.empty()) {
    attributes["NORMAL"] = gltf["accessors"].size();
    gltf["accessors"].push_back(
        vec3_accessor(bin.add_view(std::as_bytes(std::span(normals)), kTargetArrayBuffer, gltf), vertex_count));
  }
  if (!colors.empty()) {
    attributes["COLOR_0"] = gltf["accessors"].size();
    gltf["accessors"].push_back(
        vec3_accessor(bin.add_view(std::as_bytes(std::span(colors)), kTargetArrayBuffer, gltf), vertex_count));
  }
  const std::span<const std::byte> index_bytes =
      use_short_indices ? std::as_bytes(std::span(short_indices)) : std::as_bytes(std::span(mesh.triangles));
  const std::size_t indices_accessor = gltf["accessors"].size();
  gltf["accessors"].push_back({{"bufferView", bin.add_view(index_bytes, kTargetElementArrayBuffer, gltf)},
                               {"componentType", use_short_indices ? kComponentUnsignedShort : kComponentUnsignedInt},
                               {"count", mesh.triangles.size() * 3},
                               {"type", "SCALAR"}});
  gltf["buffers"] = {{{"byteLength", bin.length()}}};
  gltf["meshes"] = {{{"name", "ORFEAS mesh"},
                     {"primitives",
                      {{{"attributes", std::move(attributes)},
                        {"indices", indices_accessor},
                        {"material", 0},
                        {"mode", kModeTriangles}}}}}};

  std::string json = gltf.dump();
  json.resize(padded4(json.size()), ' ');
  const std::uint64_t total = 12 + 8 + json.size() + 8 + std::uint64_t{bin.length()};
  if (total > std::numeric_limits<std::uint32_t>::max()) {
    return make_error(ErrorCode::kLimitExceeded, fmt::format("GLB would be {} bytes, over the 4 GiB limit", total));
  }
  std::array<std::byte, 12> header{};
  std::byte* cursor = detail::store_le(header.data(), kGlbMagic);
  cursor = detail::store_le(cursor, kGlbVersion);
  detail::store_le(cursor, static_cast<std::uint32_t>(total));
  ORFEAS_RETURN_IF_ERROR(out.write(header));
  ORFEAS_RETURN_IF_ERROR(write_chunk_header(out, json.size(), kGlbChunkJson));
  ORFEAS_RETURN_IF_ERROR(out.write(json));
  ORFEAS_RETURN_IF_ERROR(write_chunk_header(out, bin.length(), kGlbChunkBin));
  return bin.write(out);
}

}  // namespace orfeas::exporter
