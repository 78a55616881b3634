// `orfeas mesh analyze|repair|simplify` run as a process on files the tests write.
#include <cstdint>
#include <cstring>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli_runner.h"
#include "orfeas/export/stl_reader.h"

namespace orfeas {
namespace {

// A 10 mm cube with corner (1, 2, 3) as OBJ; `open` leaves out the z = 3 face (a hole).
std::string cube_obj(bool open) {
  std::string obj = "v 1 2 3\nv 11 2 3\nv 1 12 3\nv 11 12 3\nv 1 2 13\nv 11 2 13\nv 1 12 13\nv 11 12 13\n";
  if (!open) obj += "f 1 3 4 2\n";
  return obj + "f 5 6 8 7\nf 1 2 6 5\nf 3 7 8 4\nf 1 5 7 3\nf 2 4 8 6\n";
}

void write_file(const fs::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

class CliMeshTest : public CliTest {};

TEST_F(CliMeshTest, AnalyzePrintsTopologyAndJson) {
  const fs::path in = work_ / "cube.obj";
  write_file(in, cube_obj(false));
  const RunResult text = run({"mesh", "analyze", in.string()});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("watertight: yes"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("volume: 1000 units^3"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("self-intersections: 0 pairs"), std::string::npos) << text.out;

  const RunResult json = run({"mesh", "analyze", in.string(), "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const nlohmann::json report = nlohmann::json::parse(json.out);
  EXPECT_TRUE(report["watertight"].get<bool>());
  EXPECT_EQ(report["faces"].get<int>(), 12);
  EXPECT_EQ(report["components"].get<int>(), 1);
  EXPECT_NEAR(report["volume"].get<double>(), 1000.0, 1e-3);
  EXPECT_EQ(report["bounding_box"]["min"][2].get<double>(), 3.0);
}

TEST_F(CliMeshTest, RepairClosesTheHoleAndKeepsMillimetres) {
  const fs::path in = work_ / "open.obj";
  const fs::path out = work_ / "fixed.stl";
  write_file(in, cube_obj(true));
  const RunResult repair = run({"mesh", "repair", in.string(), "-o", out.string()});
  ASSERT_EQ(repair.exit_code, 0) << repair.err;
  EXPECT_NE(repair.out.find("holes filled: 1"), std::string::npos) << repair.out;
  EXPECT_NE(repair.out.find("watertight: yes"), std::string::npos) << repair.out;

  // Same coordinates as the input: no scaling, rotation or centring.
  const auto stl = exporter::read_stl_binary(out);
  ASSERT_TRUE(stl) << stl.error().message();
  EXPECT_EQ(stl->triangles.size(), 14U);
  for (const auto& facet : stl->triangles) {
    for (const Vec3f& v : facet.vertices) {
      EXPECT_GE(v.x, 1.0F);
      EXPECT_LE(v.x, 11.0F);
      EXPECT_GE(v.z, 3.0F);
      EXPECT_LE(v.z, 13.0F);
    }
  }
  const RunResult after = run({"mesh", "analyze", out.string(), "--json"});
  ASSERT_EQ(after.exit_code, 0) << after.err;
  const nlohmann::json report = nlohmann::json::parse(after.out);
  EXPECT_TRUE(report["watertight"].get<bool>());
  EXPECT_EQ(report["unit"].get<std::string>(), "mm");
  EXPECT_NEAR(report["volume"].get<double>(), 1000.0, 1e-2);
}

TEST_F(CliMeshTest, SimplifyMeetsTheBudgetOrSaysWhy) {
  const fs::path in = work_ / "cube.obj";
  write_file(in, cube_obj(false));
  const RunResult small = run({"mesh", "simplify", in.string(), "--faces", "8", "-o", (work_ / "s.ply").string()});
  ASSERT_EQ(small.exit_code, 0) << small.err;
  EXPECT_NE(small.out.find("faces: 12 ->"), std::string::npos) << small.out;
  const RunResult analysed = run({"mesh", "analyze", (work_ / "s.ply").string(), "--json"});
  ASSERT_EQ(analysed.exit_code, 0) << analysed.err;
  EXPECT_TRUE(nlohmann::json::parse(analysed.out)["watertight"].get<bool>());
  // A tetrahedron cannot lose faces and stay closed: the note says so.
  write_file(work_ / "tetra.obj", "v 0 0 0\nv 1 0 0\nv 0 1 0\nv 0 0 1\nf 1 3 2\nf 1 2 4\nf 1 4 3\nf 2 3 4\n");
  const RunResult tetra =
      run({"mesh", "simplify", (work_ / "tetra.obj").string(), "--faces", "2", "-o", (work_ / "t.stl").string()});
  ASSERT_EQ(tetra.exit_code, 0) << tetra.err;
  EXPECT_NE(tetra.out.find("note: "), std::string::npos) << tetra.out;
}

TEST_F(CliMeshTest, HostileFilesGiveOneLineErrors) {
  std::string lying(84 + 50, '\0');
  lying[83] = '\x7f';  // claims about 2 billion triangles
  write_file(work_ / "lying.stl", lying);
  write_file(work_ / "empty.obj", "v 0 0 0\n");
  write_file(work_ / "model.3mf", "x");
  for (const char* name : {"lying.stl", "empty.obj", "model.3mf", "missing.ply"}) {
    SCOPED_TRACE(name);
    const RunResult r = run({"mesh", "analyze", (work_ / name).string()});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err.rfind("orfeas: error: while reading", 0), 0U) << r.err;
    EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << r.err;
  }
  const RunResult usage = run({"mesh", "simplify", (work_ / "lying.stl").string()});
  EXPECT_EQ(usage.exit_code, 2);
}

}  // namespace
}  // namespace orfeas
