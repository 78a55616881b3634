#include "orfeas/export/glb.h"

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "orfeas/export/export.h"
#include "orfeas/export/export_test_support.h"
#include "orfeas/export/little_endian.h"
#include "orfeas/export/placement.h"
#include "orfeas/testing/gltf_validator.h"
#include "orfeas/testing/temp_dir.h"

namespace orfeas::exporter {
namespace {

using orfeas::testing::passes_gltf_validator;
using orfeas::testing::TempDir;
using test_support::expect_near;
using test_support::make_grid;
using test_support::make_octahedron;
using test_support::octahedron_centred;

constexpr int kFloat = 5126;
constexpr int kUnsignedShort = 5123;
constexpr int kUnsignedInt = 5125;

struct Glb {
  nlohmann::json json;
  std::vector<std::byte> bin;
};

// Parses and checks the container: header, two chunks, lengths and padding.
Glb parse_glb(const std::filesystem::path& path) {
  const std::vector<std::byte> bytes = test_support::read_bytes(path);
  Glb glb;
  EXPECT_GE(bytes.size(), 28U);
  if (bytes.size() < 28) return glb;
  EXPECT_EQ(detail::load_le<std::uint32_t>(bytes.data()), kGlbMagic);
  EXPECT_EQ(detail::load_le<std::uint32_t>(bytes.data() + 4), kGlbVersion);
  EXPECT_EQ(detail::load_le<std::uint32_t>(bytes.data() + 8), bytes.size());
  EXPECT_EQ(bytes.size() % 4, 0U);

  const std::size_t json_length = detail::load_le<std::uint32_t>(bytes.data() + 12);
  EXPECT_EQ(detail::load_le<std::uint32_t>(bytes.data() + 16), kGlbChunkJson);
  EXPECT_EQ(json_length % 4, 0U);
  const std::size_t bin_header = 20 + json_length;
  EXPECT_LE(bin_header + 8, bytes.size());
  if (bin_header + 8 > bytes.size()) return glb;
  const std::string json_text(reinterpret_cast<const char*>(bytes.data() + 20), json_length);
  EXPECT_EQ(json_text.find_first_of(std::string(1, '\0')), std::string::npos);
  glb.json = nlohmann::json::parse(json_text);

  const std::size_t bin_length = detail::load_le<std::uint32_t>(bytes.data() + bin_header);
  EXPECT_EQ(detail::load_le<std::uint32_t>(bytes.data() + bin_header + 4), kGlbChunkBin);
  EXPECT_EQ(bin_length % 4, 0U);
  EXPECT_EQ(bin_header + 8 + bin_length, bytes.size());
  glb.bin.assign(bytes.begin() + static_cast<std::ptrdiff_t>(bin_header + 8), bytes.end());
  return glb;
}

// The accessor's elements as floats (FLOAT VEC3 accessors only).
std::vector<Vec3f> read_vec3(const Glb& glb, std::size_t accessor_index) {
  const nlohmann::json& accessor = glb.json["accessors"][accessor_index];
  EXPECT_EQ(accessor["componentType"], kFloat);
  EXPECT_EQ(accessor["type"], "VEC3");
  const nlohmann::json& view = glb.json["bufferViews"][accessor["bufferView"].get<std::size_t>()];
  const std::size_t count = accessor["count"];
  const std::size_t offset = view["byteOffset"].get<std::size_t>() + accessor.value("byteOffset", 0);
  EXPECT_EQ(offset % 4, 0U);
  EXPECT_GE(view["byteLength"].get<std::size_t>(), count * 12);
  std::vector<Vec3f> values(count);
  for (std::size_t i = 0; i < count; ++i) values[i] = detail::load_le_vec3(glb.bin.data() + offset + 12 * i);
  return values;
}

std::vector<std::uint32_t> read_indices(const Glb& glb, std::size_t accessor_index) {
  const nlohmann::json& accessor = glb.json["accessors"][accessor_index];
  const nlohmann::json& view = glb.json["bufferViews"][accessor["bufferView"].get<std::size_t>()];
  const bool is_short = accessor["componentType"] == kUnsignedShort;
  const std::size_t offset = view["byteOffset"];
  std::vector<std::uint32_t> indices(accessor["count"].get<std::size_t>());
  for (std::size_t i = 0; i < indices.size(); ++i) {
    indices[i] = is_short ? detail::load_le<std::uint16_t>(glb.bin.data() + offset + 2 * i)
                          : detail::load_le<std::uint32_t>(glb.bin.data() + offset + 4 * i);
  }
  return indices;
}

std::vector<std::uint32_t> flat(const std::vector<mesh::Triangle>& triangles) {
  std::vector<std::uint32_t> indices;
  for (const mesh::Triangle& t : triangles) indices.insert(indices.end(), t.begin(), t.end());
  return indices;
}

TEST(ExportGlb, StructureAndDataOfAColouredOctahedron) {
  const TempDir dir;
  const mesh::Mesh model = make_octahedron(true, true);
  ASSERT_TRUE(export_mesh(model, dir.file("octa.glb")));
  const Glb glb = parse_glb(dir.file("octa.glb"));
  const nlohmann::json& json = glb.json;

  EXPECT_EQ(json["asset"]["version"], "2.0");
  EXPECT_EQ(json["asset"]["generator"], "ORFEAS");
  EXPECT_EQ(json["scene"], 0);
  EXPECT_EQ(json["nodes"][0]["mesh"], 0);
  EXPECT_EQ(json["buffers"].size(), 1U);
  EXPECT_EQ(json["buffers"][0]["byteLength"], glb.bin.size());
  EXPECT_FALSE(json["buffers"][0].contains("uri"));
  EXPECT_EQ(json["materials"][0]["doubleSided"], false);
  ASSERT_EQ(json["meshes"].size(), 1U);
  ASSERT_EQ(json["meshes"][0]["primitives"].size(), 1U);
  const nlohmann::json& primitive = json["meshes"][0]["primitives"][0];
  EXPECT_EQ(primitive["mode"], 4);
  for (const nlohmann::json& view : json["bufferViews"]) {
    EXPECT_EQ(view["byteOffset"].get<std::size_t>() % 4, 0U);
    EXPECT_LE(view["byteOffset"].get<std::size_t>() + view["byteLength"].get<std::size_t>(), glb.bin.size());
  }

  // POSITION: metres, centred, longest side 0.1 m, min/max exactly the data's.
  const std::vector<Vec3f> positions = read_vec3(glb, primitive["attributes"]["POSITION"]);
  ASSERT_EQ(positions.size(), model.positions.size());
  const Bounds bounds = compute_bounds(positions);
  const nlohmann::json& position_accessor = json["accessors"][primitive["attributes"]["POSITION"].get<std::size_t>()];
  EXPECT_EQ(position_accessor["min"], (nlohmann::json{bounds.min.x, bounds.min.y, bounds.min.z}));
  EXPECT_EQ(position_accessor["max"], (nlohmann::json{bounds.max.x, bounds.max.y, bounds.max.z}));
  EXPECT_NEAR(bounds.longest_side(), 0.1F, 1e-7F);
  EXPECT_NEAR(bounds.size().y, 0.1F, 1e-7F);  // still Y-up
  for (const float c : {bounds.min.x + bounds.max.x, bounds.min.y + bounds.max.y, bounds.min.z + bounds.max.z}) {
    EXPECT_NEAR(c, 0.0F, 1e-7F);
  }
  for (std::size_t i = 0; i < positions.size(); ++i) {
    expect_near(positions[i], octahedron_centred(model.positions[i], 0.1F), 1e-7F);
  }

  const std::vector<Vec3f> normals = read_vec3(glb, primitive["attributes"]["NORMAL"]);
  ASSERT_EQ(normals.size(), model.normals.size());
  for (std::size_t i = 0; i < normals.size(); ++i) EXPECT_EQ(normals[i], model.normals[i]);

  const std::vector<Vec3f> colors = read_vec3(glb, primitive["attributes"]["COLOR_0"]);
  ASSERT_EQ(colors.size(), model.colors.size());
  for (std::size_t i = 0; i < colors.size(); ++i) {
    EXPECT_EQ(colors[i].x, srgb_to_linear(model.colors[i].r));
    EXPECT_EQ(colors[i].y, srgb_to_linear(model.colors[i].g));
    EXPECT_EQ(colors[i].z, srgb_to_linear(model.colors[i].b));
  }

  const std::size_t indices_accessor = primitive["indices"];
  EXPECT_EQ(json["accessors"][indices_accessor]["componentType"], kUnsignedShort);
  EXPECT_EQ(json["accessors"][indices_accessor]["count"], 24);
  EXPECT_EQ(read_indices(glb, indices_accessor), flat(model.triangles));

  ORFEAS_NEED_GLTF_VALIDATOR();

  EXPECT_TRUE(passes_gltf_validator(dir.file("octa.glb")));
}

TEST(ExportGlb, PositionsOnlyPassesTheValidator) {
  const TempDir dir;
  ASSERT_TRUE(export_mesh(make_octahedron(false, false), dir.file("plain.glb")));
  const Glb glb = parse_glb(dir.file("plain.glb"));
  const nlohmann::json& attributes = glb.json["meshes"][0]["primitives"][0]["attributes"];
  EXPECT_EQ(attributes.size(), 1U);
  EXPECT_TRUE(attributes.contains("POSITION"));
  ORFEAS_NEED_GLTF_VALIDATOR();
  EXPECT_TRUE(passes_gltf_validator(dir.file("plain.glb")));
}

TEST(ExportGlb, OddIndexCountIsPaddedAndValid) {
  // One triangle: 6 bytes of UNSIGNED_SHORT indices need padding to 8.
  mesh::Mesh triangle;
  triangle.positions = {{0, 0, 0}, {1, 0, 0}, {0, 1, 0}};
  triangle.triangles = {{0, 1, 2}};
  const TempDir dir;
  ASSERT_TRUE(export_mesh(triangle, dir.file("one.glb")));
  const Glb glb = parse_glb(dir.file("one.glb"));
  EXPECT_EQ(glb.bin.size() % 4, 0U);
  ORFEAS_NEED_GLTF_VALIDATOR();
  EXPECT_TRUE(passes_gltf_validator(dir.file("one.glb")));
}

TEST(ExportGlb, NormalsAreMadeUnitAndZeroNormalsReplaced) {
  mesh::Mesh model = make_octahedron(true, false);
  model.normals[0] = {3.0F, 0.0F, 0.0F};
  model.normals[2] = {0.0F, 0.0F, 0.0F};
  const TempDir dir;
  ASSERT_TRUE(export_mesh(model, dir.file("n.glb")));
  const Glb glb = parse_glb(dir.file("n.glb"));
  const std::vector<Vec3f> normals = read_vec3(glb, glb.json["meshes"][0]["primitives"][0]["attributes"]["NORMAL"]);
  for (const Vec3f n : normals) EXPECT_NEAR(length(n), 1.0F, 1e-6F);
  EXPECT_EQ(normals[0], (Vec3f{1, 0, 0}));
  EXPECT_GT(normals[2].y, 0.9F);  // the top vertex: its triangles all face up-ish
  ORFEAS_NEED_GLTF_VALIDATOR();
  EXPECT_TRUE(passes_gltf_validator(dir.file("n.glb")));
}

TEST(ExportGlb, LargeMeshUsesUint32IndicesAndPassesTheValidator) {
  const mesh::Mesh model = make_grid(300, 240, true, true);  // 72 000 vertices
  ASSERT_GT(model.positions.size(), 65535U);
  const TempDir dir;
  ASSERT_TRUE(export_mesh(model, dir.file("big.glb")));
  const Glb glb = parse_glb(dir.file("big.glb"));
  const nlohmann::json& primitive = glb.json["meshes"][0]["primitives"][0];
  const std::size_t indices_accessor = primitive["indices"];
  EXPECT_EQ(glb.json["accessors"][indices_accessor]["componentType"], kUnsignedInt);
  EXPECT_EQ(glb.json["accessors"][indices_accessor]["count"], model.triangles.size() * 3);
  EXPECT_EQ(read_indices(glb, indices_accessor), flat(model.triangles));
  EXPECT_EQ(glb.json["accessors"][primitive["attributes"]["POSITION"].get<std::size_t>()]["count"],
            model.positions.size());
  ORFEAS_NEED_GLTF_VALIDATOR();
  EXPECT_TRUE(passes_gltf_validator(dir.file("big.glb")));
}

TEST(ExportGlb, SrgbToLinear) {
  EXPECT_EQ(srgb_to_linear(0), 0.0F);
  EXPECT_EQ(srgb_to_linear(255), 1.0F);
  EXPECT_NEAR(srgb_to_linear(10), 10.0F / 255.0F / 12.92F, 1e-7F);
  EXPECT_NEAR(srgb_to_linear(128), 0.2158605F, 1e-6F);
  for (int v = 1; v < 256; ++v) {
    EXPECT_GT(srgb_to_linear(static_cast<std::uint8_t>(v)), srgb_to_linear(static_cast<std::uint8_t>(v - 1)));
  }
}

TEST(ExportGlb, ValidatorRejectsABrokenFile) {
  // Guards the guard: a validator that passes everything would make the tests above useless.
  const TempDir dir;
  ASSERT_TRUE(export_mesh(make_octahedron(false, false), dir.file("octa.glb")));
  const std::string bytes = test_support::read_text(dir.file("octa.glb"));
  test_support::write_text(dir.file("broken.glb"), bytes.substr(0, bytes.size() - 4));
  ORFEAS_NEED_GLTF_VALIDATOR();
  EXPECT_FALSE(passes_gltf_validator(dir.file("broken.glb")));
}

}  // namespace
}  // namespace orfeas::exporter
