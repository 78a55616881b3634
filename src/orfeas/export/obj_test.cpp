#include "orfeas/export/obj.h"

#include <charconv>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "orfeas/export/export.h"
#include "orfeas/export/export_test_support.h"
#include "orfeas/testing/temp_dir.h"

namespace orfeas::exporter {
namespace {

using orfeas::testing::TempDir;
using test_support::expect_near;
using test_support::make_octahedron;
using test_support::octahedron_centred;

struct ObjFile {
  std::vector<std::vector<float>> v;  // x y z [r g b]
  std::vector<Vec3f> vn;
  std::vector<std::vector<std::string>> f;  // the face's vertex references as written
};

float parse_float(const std::string& token) {
  float value = 0.0F;
  const auto [end, error] = std::from_chars(token.data(), token.data() + token.size(), value);
  EXPECT_EQ(error, std::errc{}) << token;
  EXPECT_EQ(end, token.data() + token.size()) << token;
  return value;
}

ObjFile parse_obj(const std::string& text) {
  ObjFile obj;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream tokens(line);
    std::string tag;
    tokens >> tag;
    std::vector<std::string> rest;
    for (std::string token; tokens >> token;) rest.push_back(token);
    if (tag == "v") {
      std::vector<float> values;
      for (const std::string& token : rest) values.push_back(parse_float(token));
      obj.v.push_back(values);
    } else if (tag == "vn") {
      EXPECT_EQ(rest.size(), 3U);
      obj.vn.push_back({parse_float(rest[0]), parse_float(rest[1]), parse_float(rest[2])});
    } else if (tag == "f") {
      obj.f.push_back(rest);
    } else {
      EXPECT_TRUE(tag.empty() || tag == "#" || tag == "o") << line;
    }
  }
  return obj;
}

TEST(ExportObj, ColouredOctahedronReadsBack) {
  const TempDir dir;
  const mesh::Mesh model = make_octahedron(true, true);
  ASSERT_TRUE(export_mesh(model, dir.file("octa.obj")));
  const std::string text = test_support::read_text(dir.file("octa.obj"));
  EXPECT_EQ(text.rfind("# ORFEAS OBJ: millimetres, Y-up\n", 0), 0U);
  EXPECT_EQ(text.find("e-"), std::string::npos);                    // no exponent notation
  EXPECT_EQ(text.find(',', text.find("\nv ")), std::string::npos);  // no locale decimal commas

  const ObjFile obj = parse_obj(text);
  ASSERT_EQ(obj.v.size(), 6U);
  ASSERT_EQ(obj.vn.size(), 6U);
  ASSERT_EQ(obj.f.size(), 8U);
  for (std::size_t i = 0; i < 6; ++i) {
    ASSERT_EQ(obj.v[i].size(), 6U);
    expect_near({obj.v[i][0], obj.v[i][1], obj.v[i][2]}, octahedron_centred(model.positions[i], 100.0F), 1e-4F);
    EXPECT_EQ(obj.v[i][3], static_cast<float>(model.colors[i].r) / 255.0F);
    EXPECT_EQ(obj.v[i][4], static_cast<float>(model.colors[i].g) / 255.0F);
    EXPECT_EQ(obj.v[i][5], static_cast<float>(model.colors[i].b) / 255.0F);
    EXPECT_EQ(obj.vn[i], model.normals[i]);
  }
  for (std::size_t t = 0; t < 8; ++t) {
    ASSERT_EQ(obj.f[t].size(), 3U);
    for (std::size_t k = 0; k < 3; ++k) {
      EXPECT_EQ(obj.f[t][k], fmt::format("{0}//{0}", model.triangles[t][k] + 1));
    }
  }
}

TEST(ExportObj, WithoutNormalsOrColours) {
  const TempDir dir;
  const mesh::Mesh model = make_octahedron(false, false);
  ASSERT_TRUE(export_mesh(model, dir.file("plain.obj"), {.size_mm = 20.0F}));
  const ObjFile obj = parse_obj(test_support::read_text(dir.file("plain.obj")));
  ASSERT_EQ(obj.v.size(), 6U);
  EXPECT_TRUE(obj.vn.empty());
  for (const std::vector<float>& v : obj.v) EXPECT_EQ(v.size(), 3U);
  EXPECT_NEAR(obj.v[2][1] - obj.v[3][1], 20.0F, 1e-4F);  // +Y tip to -Y tip: the longest side
  ASSERT_EQ(obj.f.size(), 8U);
  EXPECT_EQ(obj.f[0], (std::vector<std::string>{"1", "3", "5"}));
}

TEST(ExportObj, DecimalsAreShortestFixedAndRoundTrip) {
  const auto decimal = [](float value) {
    std::string text;
    append_decimal(text, value);
    return text;
  };
  EXPECT_EQ(decimal(0.1F), "0.1");
  EXPECT_EQ(decimal(-12.5F), "-12.5");
  EXPECT_EQ(decimal(3.0F), "3");
  EXPECT_EQ(decimal(1e-7F).find('e'), std::string::npos);
  for (const float value : {1e-7F, 123456.78F, 1.0F / 3.0F, -0.0001234F, 3.4e38F}) {
    EXPECT_EQ(parse_float(decimal(value)), value);
  }
}

}  // namespace
}  // namespace orfeas::exporter
