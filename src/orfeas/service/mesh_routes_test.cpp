#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <memory>
#include <numbers>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "orfeas/mesh/topology.h"
#include "orfeas/meshtools/mesh_io.h"
#include "orfeas/service/api.h"
#include "orfeas/service/service.h"
#include "orfeas/testing/file_io.h"
#include "orfeas/testing/temp_dir.h"

namespace orfeas::service {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kMaxUpload = 1 << 20;

// A 10-unit cube with corner (1, 2, 3) as OBJ quads; `open` leaves out the z = 3 side (a hole).
std::string cube_obj(bool open) {
  std::string obj = "# cube\nv 1 2 3\nv 11 2 3\nv 1 12 3\nv 11 12 3\nv 1 2 13\nv 11 2 13\nv 1 12 13\nv 11 12 13\n";
  if (!open) obj += "f 1 3 4 2\n";
  return obj + "f 5 6 8 7\nf 1 2 6 5\nf 3 7 8 4\nf 1 5 7 3\nf 2 4 8 6\n";
}

// The same closed cube as ASCII PLY.
std::string cube_ply() {
  return "ply\nformat ascii 1.0\nelement vertex 8\nproperty float x\nproperty float y\nproperty float z\n"
         "element face 6\nproperty list uchar int vertex_indices\nend_header\n"
         "1 2 3\n11 2 3\n1 12 3\n11 12 3\n1 2 13\n11 2 13\n1 12 13\n11 12 13\n"
         "4 0 2 3 1\n4 4 5 7 6\n4 0 1 5 4\n4 2 6 7 3\n4 0 4 6 2\n4 1 3 7 5\n";
}

// A tetrahedron as ASCII STL; `bad` puts a NaN in its first vertex.
std::string tetrahedron_ascii_stl(bool bad = false) {
  const std::string o = bad ? "nan 0 0" : "0 0 0";
  const auto facet = [](const std::string& a, const std::string& b, const std::string& c) {
    return fmt::format("facet normal 0 0 0\n outer loop\n  vertex {}\n  vertex {}\n  vertex {}\n endloop\nendfacet\n",
                       a, b, c);
  };
  return "solid tetra\n" + facet(o, "0 10 0", "10 0 0") + facet(o, "10 0 0", "0 0 10") + facet(o, "0 0 10", "0 10 0") +
         facet("10 0 0", "0 10 0", "0 0 10") + "endsolid tetra\n";
}

void put_u32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

void put_f32(std::string& out, float f) {
  std::uint32_t bits = 0;
  std::memcpy(&bits, &f, sizeof bits);
  put_u32(out, bits);
}

// The closed cube of cube_obj() as a binary STL: 12 facets, 684 bytes.
std::string cube_binary_stl() {
  const float c[8][3] = {{1, 2, 3},  {11, 2, 3},  {1, 12, 3},  {11, 12, 3},
                         {1, 2, 13}, {11, 2, 13}, {1, 12, 13}, {11, 12, 13}};
  const int faces[12][3] = {{0, 2, 3}, {0, 3, 1}, {4, 5, 7}, {4, 7, 6}, {0, 1, 5}, {0, 5, 4},
                            {2, 6, 7}, {2, 7, 3}, {0, 4, 6}, {0, 6, 2}, {1, 3, 7}, {1, 7, 5}};
  std::string out(80, ' ');
  put_u32(out, 12);
  for (const auto& f : faces) {
    for (int i = 0; i < 3; ++i) put_f32(out, 0.0F);  // normal: readers recompute it
    for (const int v : f) {
      for (const float x : c[v]) put_f32(out, x);
    }
    out.append(2, '\0');
  }
  return out;
}

// A closed UV sphere of radius 10 as OBJ: 2 poles, `rings` rings of `segments` vertices,
// 2 * segments * rings faces.
std::string sphere_obj(int rings, int segments) {
  std::string obj = "v 0 10 0\nv 0 -10 0\n";
  for (int r = 1; r <= rings; ++r) {
    const double phi = std::numbers::pi * r / (rings + 1);
    for (int s = 0; s < segments; ++s) {
      const double theta = 2.0 * std::numbers::pi * s / segments;
      obj += fmt::format("v {} {} {}\n", 10 * std::sin(phi) * std::cos(theta), 10 * std::cos(phi),
                         10 * std::sin(phi) * std::sin(theta));
    }
  }
  const auto at = [segments](int ring, int s) { return 3 + (ring - 1) * segments + (s % segments); };
  for (int s = 0; s < segments; ++s) {
    obj += fmt::format("f 1 {} {}\n", at(1, s + 1), at(1, s));
    obj += fmt::format("f 2 {} {}\n", at(rings, s), at(rings, s + 1));
    for (int r = 1; r < rings; ++r) {
      obj += fmt::format("f {} {} {}\n", at(r, s), at(r, s + 1), at(r + 1, s + 1));
      obj += fmt::format("f {} {} {}\n", at(r, s), at(r + 1, s + 1), at(r + 1, s));
    }
  }
  return obj;
}

std::string multipart(const std::string& field, const std::string& filename, const std::string& bytes) {
  return fmt::format(
      "--XyZ\r\nContent-Disposition: form-data; name=\"{}\"; filename=\"{}\"\r\n"
      "Content-Type: application/octet-stream\r\n\r\n{}\r\n--XyZ--\r\n",
      field, filename, bytes);
}

mesh::Mesh parse(const std::string& bytes, exporter::Format format) {
  const std::span<const std::byte> span(reinterpret_cast<const std::byte*>(bytes.data()), bytes.size());
  Result<mesh::Mesh> mesh = meshtools::parse_mesh(span, format);
  EXPECT_TRUE(mesh) << mesh.error().message();
  return mesh ? std::move(*mesh) : mesh::Mesh{};
}

class MeshRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServiceOptions options;
    options.data_dir = dir_.path();
    options.device = "cpu";
    options.start_workers = false;
    options.max_upload_bytes = kMaxUpload;
    auto service = Service::open(options);
    ASSERT_TRUE(service) << service.error().message();
    service_ = std::move(*service);
    routes_ = mesh_routes(*service_);
  }

  serve::Response post(std::string_view pattern, std::string body, serve::QueryParams query = {},
                       std::string content_type = "application/octet-stream") {
    serve::Request request;
    request.method = serve::Method::kPost;
    request.path = std::string(pattern);
    request.query = std::move(query);
    request.headers.set("Content-Type", std::move(content_type));
    request.body = std::move(body);
    for (const ApiRoute& route : routes_) {
      if (route.pattern == pattern && route.method == serve::Method::kPost) return route.handler(request, {});
    }
    ADD_FAILURE() << "no route " << pattern;
    return {};
  }

  // The error code of an error answer, checking its shape.
  static std::string error_code(const serve::Response& response) {
    EXPECT_EQ(response.content_type, "application/json");
    const nlohmann::json body = nlohmann::json::parse(response.body, nullptr, false);
    if (!body.is_object() || !body.contains("error")) return "not an error body: " + response.body;
    EXPECT_FALSE(body["error"]["message"].get<std::string>().empty());
    return body["error"]["code"].get<std::string>();
  }

  static nlohmann::json report_of(const serve::Response& response) {
    const std::optional<std::string_view> header = response.headers.get("X-Orfeas-Report");
    if (!header) return {};
    return nlohmann::json::parse(*header);
  }

  testing::TempDir dir_;
  std::unique_ptr<Service> service_;
  std::vector<ApiRoute> routes_;
};

TEST_F(MeshRoutesTest, ThreeRoutesWithDescriptions) {
  ASSERT_EQ(routes_.size(), 3U);
  EXPECT_EQ(routes_[0].pattern, "/api/mesh/analyze");
  EXPECT_EQ(routes_[1].pattern, "/api/mesh/repair");
  EXPECT_EQ(routes_[2].pattern, "/api/mesh/simplify");
  // The query parameters the OpenAPI document lists: `faces` is simplify's one required one.
  ASSERT_EQ(routes_[2].query.size(), 3U);
  EXPECT_EQ(routes_[2].query[2].name, "faces");
  EXPECT_EQ(routes_[2].query[2].type, "integer");
  EXPECT_TRUE(routes_[2].query[2].required);
  EXPECT_EQ(routes_[1].query.size(), 6U);
  for (const ApiRoute& route : routes_) {
    EXPECT_EQ(route.method, serve::Method::kPost);
    EXPECT_EQ(route.query.front().name, "input");
    EXPECT_FALSE(route.summary.empty());
    // Repair and simplify answer a file and say where the report is.
    const bool answers_a_file = route.pattern != "/api/mesh/analyze";
    EXPECT_EQ(route.description.find("X-Orfeas-Report") != std::string::npos, answers_a_file) << route.pattern;
  }
}

TEST_F(MeshRoutesTest, AnalyzeSniffsAnObjCube) {
  const serve::Response response = post("/api/mesh/analyze", cube_obj(false));
  ASSERT_EQ(response.status, 200) << response.body;
  const nlohmann::json report = nlohmann::json::parse(response.body);
  EXPECT_EQ(report["unit"], "units");
  EXPECT_EQ(report["faces"], 12);
  EXPECT_EQ(report["vertices"], 8);
  EXPECT_EQ(report["watertight"], true);
  EXPECT_EQ(report["printable"], true);
  EXPECT_NEAR(report["volume"].get<double>(), 1000.0, 1e-3);
  EXPECT_EQ(report["bounding_box"]["min"], nlohmann::json::array({1.0, 2.0, 3.0}));
  EXPECT_EQ(report["self_intersections"]["complete"], true);
}

TEST_F(MeshRoutesTest, AnalyzeReadsBinaryStlAsMillimetres) {
  const std::string stl = cube_binary_stl();
  ASSERT_EQ(stl.size(), 84U + 50U * 12U);
  const serve::Response response = post("/api/mesh/analyze", stl);
  ASSERT_EQ(response.status, 200) << response.body;
  const nlohmann::json report = nlohmann::json::parse(response.body);
  EXPECT_EQ(report["unit"], "mm");
  EXPECT_EQ(report["vertices"], 8);  // the triangle soup welded
  EXPECT_EQ(report["watertight"], true);
  EXPECT_NEAR(report["volume"].get<double>(), 1000.0, 1e-3);
}

TEST_F(MeshRoutesTest, AnalyzeAsciiStlAndPly) {
  const serve::Response stl = post("/api/mesh/analyze", tetrahedron_ascii_stl(), {{"input", "stl"}});
  ASSERT_EQ(stl.status, 200) << stl.body;
  EXPECT_EQ(nlohmann::json::parse(stl.body)["faces"], 4);
  EXPECT_NEAR(nlohmann::json::parse(stl.body)["volume"].get<double>(), 1000.0 / 6.0, 1e-3);
  const serve::Response sniffed = post("/api/mesh/analyze", tetrahedron_ascii_stl());
  ASSERT_EQ(sniffed.status, 200) << sniffed.body;
  EXPECT_EQ(nlohmann::json::parse(sniffed.body)["unit"], "mm");

  const serve::Response ply = post("/api/mesh/analyze", cube_ply());
  ASSERT_EQ(ply.status, 200) << ply.body;
  const nlohmann::json report = nlohmann::json::parse(ply.body);
  EXPECT_EQ(report["faces"], 12);
  EXPECT_EQ(report["watertight"], true);
  EXPECT_NEAR(report["volume"].get<double>(), 1000.0, 1e-3);
}

TEST_F(MeshRoutesTest, AnalyzeCanSkipTheSelfIntersectionSearch) {
  // Two overlapping tetrahedra: the search finds crossings, and is skipped when asked.
  const std::string faces = "f 1 3 2\nf 1 2 4\nf 1 4 3\nf 2 3 4\nf 5 7 6\nf 5 6 8\nf 5 8 7\nf 6 7 8\n";
  const std::string two = "v 0 0 0\nv 10 0 0\nv 0 10 0\nv 0 0 10\nv 1 1 1\nv 11 1 1\nv 1 11 1\nv 1 1 11\n" + faces;
  const serve::Response searched = post("/api/mesh/analyze", two);
  ASSERT_EQ(searched.status, 200) << searched.body;
  EXPECT_GT(nlohmann::json::parse(searched.body)["self_intersections"]["pairs"].get<int>(), 0);
  EXPECT_EQ(nlohmann::json::parse(searched.body)["printable"], false);
  const serve::Response skipped = post("/api/mesh/analyze", two, {{"self_intersections", "false"}});
  ASSERT_EQ(skipped.status, 200) << skipped.body;
  EXPECT_EQ(nlohmann::json::parse(skipped.body)["self_intersections"]["pairs"], 0);
  EXPECT_EQ(nlohmann::json::parse(skipped.body)["components"], 2);
}

TEST_F(MeshRoutesTest, AnalyzeTakesAMultipartFileNamedByItsExtension) {
  // `ply` in the name and `v` lines: the extension decides, and the OBJ reader reads it.
  const serve::Response response = post("/api/mesh/analyze", multipart("mesh", "ply-part.obj", cube_obj(false)), {},
                                        "multipart/form-data; boundary=XyZ");
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(nlohmann::json::parse(response.body)["faces"], 12);

  const serve::Response wrong_field =
      post("/api/mesh/analyze", multipart("image", "a.obj", cube_obj(false)), {}, "multipart/form-data; boundary=XyZ");
  EXPECT_EQ(wrong_field.status, 400);
  EXPECT_EQ(error_code(wrong_field), "invalid_argument");
  const serve::Response bad_name = post("/api/mesh/analyze", multipart("mesh", "part.3mf", cube_obj(false)), {},
                                        "multipart/form-data; boundary=XyZ");
  EXPECT_EQ(bad_name.status, 415);
  EXPECT_EQ(error_code(bad_name), "unsupported_format");
}

TEST_F(MeshRoutesTest, RepairAnswersTheClosedMeshAndItsReport) {
  const serve::Response response = post("/api/mesh/repair", cube_obj(true), {{"format", "stl"}});
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.content_type, "model/stl");
  EXPECT_EQ(response.headers.get("Content-Disposition").value_or(""), "attachment; filename=\"repaired.stl\"");
  const nlohmann::json report = report_of(response);
  EXPECT_EQ(report["repair"]["holes_filled"], 1);
  EXPECT_EQ(report["repair"]["hole_faces_added"], 4);
  EXPECT_EQ(report["result"]["watertight"], true);
  EXPECT_EQ(report["result"]["faces"], 14);
  EXPECT_EQ(report["result"]["unit"], "units");  // of the input: an OBJ

  // The body is the repaired mesh, coordinates as given (no scaling or centring).
  ASSERT_EQ(response.body.size(), 84U + 50U * 14U);
  const mesh::Mesh fixed = parse(response.body, exporter::Format::kStl);
  EXPECT_TRUE(mesh::analyze_topology(fixed).value().watertight());
  for (const Vec3f& p : fixed.positions) {
    EXPECT_GE(p.x, 1.0F);
    EXPECT_LE(p.x, 11.0F);
    EXPECT_GE(p.z, 3.0F);
    EXPECT_LE(p.z, 13.0F);
  }
  // Nothing is left in the scratch folder.
  EXPECT_TRUE(fs::is_empty(dir_.path() / "tmp"));
}

TEST_F(MeshRoutesTest, RepairAnswersInTheInputsFormatAndTakesOptions) {
  const serve::Response ply = post("/api/mesh/repair", cube_ply());
  ASSERT_EQ(ply.status, 200) << ply.body;
  EXPECT_EQ(ply.headers.get("Content-Disposition").value_or(""), "attachment; filename=\"repaired.ply\"");
  EXPECT_EQ(parse(ply.body, exporter::Format::kPly).triangles.size(), 12U);

  const serve::Response open = post("/api/mesh/repair", cube_obj(true), {{"fill_holes", "false"}});
  ASSERT_EQ(open.status, 200) << open.body;
  EXPECT_EQ(open.content_type, "model/obj");
  EXPECT_EQ(report_of(open)["repair"]["holes_filled"], 0);
  EXPECT_EQ(report_of(open)["result"]["watertight"], false);
  EXPECT_EQ(parse(open.body, exporter::Format::kObj).triangles.size(), 10U);

  for (const auto& [name, value] : std::vector<std::pair<std::string, std::string>>{
           {"weld_tolerance", "0.5"}, {"speck_fraction", "nan"}, {"fill_holes", "maybe"}, {"max_hole_edges", "-1"}}) {
    SCOPED_TRACE(name);
    const serve::Response bad = post("/api/mesh/repair", cube_obj(true), {{name, value}});
    EXPECT_EQ(bad.status, 400);
    EXPECT_EQ(error_code(bad), "invalid_argument");
  }
}

TEST_F(MeshRoutesTest, SimplifyMeetsTheBudgetAndKeepsTheSphereClosed) {
  const std::string sphere = sphere_obj(15, 32);  // 2 * 32 * 15 = 960 faces
  const serve::Response response = post("/api/mesh/simplify", sphere, {{"faces", "200"}, {"format", "ply"}});
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.content_type, "application/ply");
  EXPECT_EQ(response.headers.get("Content-Disposition").value_or(""), "attachment; filename=\"simplified.ply\"");
  const nlohmann::json report = report_of(response);
  EXPECT_EQ(report["faces_before"], 960);
  EXPECT_EQ(report["target_faces"], 200);
  EXPECT_EQ(report["reached"], true);
  EXPECT_EQ(report["note"], "");
  EXPECT_EQ(report["result"]["watertight"], true);
  EXPECT_EQ(report["result"]["euler_characteristic"], 2);
  const mesh::Mesh small = parse(response.body, exporter::Format::kPly);
  EXPECT_EQ(small.triangles.size(), report["faces"].get<std::size_t>());
  EXPECT_LE(small.triangles.size(), 200U);
  EXPECT_GE(small.triangles.size(), 199U);
  EXPECT_TRUE(mesh::analyze_topology(small).value().watertight());
}

TEST_F(MeshRoutesTest, SimplifyNeedsAFaceCount) {
  for (const serve::QueryParams& query : std::vector<serve::QueryParams>{
           {}, {{"faces", "0"}}, {{"faces", "abc"}}, {{"faces", "12x"}}, {{"faces", "99999999999"}}}) {
    const serve::Response response = post("/api/mesh/simplify", cube_obj(false), query);
    EXPECT_EQ(response.status, 400) << response.body;
    EXPECT_EQ(error_code(response), "invalid_argument");
  }
}

TEST_F(MeshRoutesTest, HostileUploadsAreClientErrors) {
  std::string lying(84 + 50, '\0');
  lying[83] = '\x7f';  // the header claims about 2 billion triangles (100 GB)
  std::string huge_ply =
      "ply\nformat binary_little_endian 1.0\nelement vertex 2000000000\nproperty float x\n"
      "property float y\nproperty float z\nelement face 1\nproperty list uchar int "
      "vertex_indices\nend_header\n";
  huge_ply += std::string(64, '\0');
  struct Case {
    std::string name;
    std::string body;
    serve::QueryParams query;
    int status;
    std::string code;
  };
  const std::vector<Case> cases = {
      {"lying STL count", lying, {}, 422, "corrupt_data"},
      {"lying STL count, named", lying, {{"input", "stl"}}, 422, "corrupt_data"},
      {"2e9 PLY vertices", huge_ply, {}, 413, "limit_exceeded"},
      {"NaN coordinate", tetrahedron_ascii_stl(true), {}, 422, "corrupt_data"},
      {"no faces", "v 0 0 0\nv 1 0 0\nv 0 1 0\n", {}, 422, "corrupt_data"},
      {"index out of range", "v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 9\n", {}, 422, "corrupt_data"},
      {"random bytes",
       testing::read_text(fs::path(ORFEAS_SOURCE_DIR) / "tests/data/garbage.png"),
       {},
       422,
       "corrupt_data"},
      {"random bytes as OBJ",
       testing::read_text(fs::path(ORFEAS_SOURCE_DIR) / "tests/data/garbage.png"),
       {{"input", "obj"}},
       422,
       "corrupt_data"},
      {"short garbage", "hello", {}, 415, "unsupported_format"},
      {"GLB asked", cube_obj(false), {{"input", "glb"}}, 415, "unsupported_format"},
      {"unknown format", cube_obj(false), {{"input", "3mf"}}, 415, "unsupported_format"},
      {"empty body", "", {}, 400, "invalid_argument"},
      {"misspelt option", cube_obj(false), {{"self_intersection", "false"}}, 400, "invalid_argument"},
      {"over the upload limit", std::string(kMaxUpload + 1, 'v'), {}, 413, "limit_exceeded"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    for (const char* route : {"/api/mesh/analyze", "/api/mesh/repair"}) {
      SCOPED_TRACE(route);
      const serve::Response response = post(route, c.body, c.query);
      EXPECT_EQ(response.status, c.status) << response.body;
      EXPECT_EQ(error_code(response), c.code);
      EXPECT_FALSE(response.headers.contains("X-Orfeas-Report"));
    }
  }
}

TEST_F(MeshRoutesTest, RepairThatLeavesNothingIsAClientError) {
  const serve::Response response = post("/api/mesh/repair", "v 0 0 0\nv 1 0 0\nv 2 0 0\nf 1 2 3\n");
  EXPECT_EQ(response.status, 400) << response.body;
  EXPECT_EQ(error_code(response), "invalid_argument");
}

}  // namespace
}  // namespace orfeas::service
