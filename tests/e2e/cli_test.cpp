// End-to-end tests: the real `orfeas` binary, run as a user would, on real files.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli_runner.h"
#include "orfeas/export/stl_reader.h"
#include "orfeas/export/threemf.h"
#include "orfeas/mesh/mesh.h"
#include "orfeas/mesh/topology.h"
#include "orfeas/testing/gltf_validator.h"

namespace orfeas {
namespace {

namespace fs = std::filesystem;
using orfeas::testing::passes_gltf_validator;

// Welds an STL triangle soup by exact position and checks it is a closed, oriented 2-manifold.
mesh::TopologyReport stl_topology(const fs::path& path) {
  auto stl = exporter::read_stl_binary(path);
  EXPECT_TRUE(stl.has_value()) << stl.error().message();
  mesh::Mesh m;
  std::map<std::tuple<float, float, float>, std::uint32_t> index;
  for (const auto& facet : stl->triangles) {
    mesh::Triangle tri{};
    for (int c = 0; c < 3; ++c) {
      const Vec3f p = facet.vertices[static_cast<std::size_t>(c)];
      auto [it, inserted] = index.try_emplace({p.x, p.y, p.z}, static_cast<std::uint32_t>(m.positions.size()));
      if (inserted) m.positions.push_back(p);
      tri[static_cast<std::size_t>(c)] = it->second;
    }
    m.triangles.push_back(tri);
  }
  return mesh::analyze_topology(m).value();
}

struct BadInput {
  const char* name;
  std::string input;
  std::string output;    // relative to the work directory unless absolute
  const char* expected;  // a fragment of the one-line error
};

class CliBadInputTest : public CliTest, public ::testing::WithParamInterface<BadInput> {};

TEST_P(CliBadInputTest, FailsWithOneClearLineAndNoOutput) {
  const BadInput& bad = GetParam();
  const fs::path output = fs::path(bad.output).is_absolute() ? fs::path(bad.output) : work_ / bad.output;
  const fs::path input = bad.input.empty() ? work_ : kData / bad.input;
  const RunResult result = run({"generate", input.string(), "-o", output.string(), "--resolution", "32"});
  EXPECT_GT(result.exit_code, 0) << "a crash or success is wrong here; stderr: " << result.err;
  EXPECT_NE(result.exit_code, 124) << "timed out (a hang)";
  ASSERT_FALSE(result.err.empty());
  EXPECT_EQ(result.err.find('\n'), result.err.size() - 1) << "more than one line: " << result.err;
  EXPECT_EQ(result.err.rfind("orfeas: error: ", 0), 0U) << result.err;
  EXPECT_NE(result.err.find(bad.expected), std::string::npos) << "expected '" << bad.expected << "' in: " << result.err;
  EXPECT_TRUE(result.out.empty());
  EXPECT_TRUE(fs::is_empty(work_)) << "a failed run left files behind";
}

INSTANTIATE_TEST_SUITE_P(
    BadInputs, CliBadInputTest,
    ::testing::Values(BadInput{"MissingFile", "no_such_file.png", "out.stl", "no_such_file.png"},
                      BadInput{"Directory", "", "out.stl", "directory"},
                      BadInput{"EmptyFile", "empty.png", "out.stl", "empty"},
                      BadInput{"TruncatedPng", "truncated.png", "out.stl", "truncated"},
                      BadInput{"TruncatedJpeg", "truncated.jpg", "out.stl", "truncated"},
                      BadInput{"Garbage", "garbage.png", "out.stl", "not a PNG, JPEG or WebP"},
                      BadInput{"UnsupportedGif", "not_supported.gif", "out.stl", "GIF"},
                      BadInput{"DecompressionBomb", "bomb_12000x12000.png", "out.stl", "pixels"},
                      BadInput{"LyingHeaderHuge", "lying_header_60000.png", "out.stl", "60000"},
                      BadInput{"LyingHeaderTruncated", "lying_header_truncated.png", "out.stl", "truncated"},
                      BadInput{"FullyTransparent", "transparent.png", "out.stl", "fully transparent"},
                      BadInput{"MissingOutputDirectory", "disc_rgba.png", "missing/out.stl", "does not exist"},
                      BadInput{"OutputUnderAFile", "disc_rgba.png", "/dev/null/out.stl", "not a directory"},
                      BadInput{"UnknownExtension", "disc_rgba.png", "out.xyz", "unknown output extension"},
                      BadInput{"NoExtension", "disc_rgba.png", "out", "extension"}),
    [](const ::testing::TestParamInfo<BadInput>& param_info) { return std::string(param_info.param.name); });

TEST_F(CliTest, OutputThatIsADirectoryIsRefused) {
  fs::create_directories(work_ / "model.stl");
  const RunResult result = run({"generate", (kData / "disc_rgba.png").string(), "-o", (work_ / "model.stl").string()});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("is a directory"), std::string::npos) << result.err;
}

// A build without lib3mf refuses 3MF before decoding the image: nothing is run, nothing written.
// (With lib3mf, cli_threemf_test.cpp reads the 3MF back.)
TEST_F(CliTest, ThreeMfWithoutLib3mfIsRefusedBeforeAnyWork) {
  if (exporter::threemf_available()) GTEST_SKIP() << "this build writes 3MF";
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"-o", (work_ / "model.3mf").string()},
        std::vector<std::string>{"--out-dir", work_.string(), "--format", "3mf"}}) {
    std::vector<std::string> command = {"generate", (kData / "disc_rgba.png").string()};
    command.insert(command.end(), args.begin(), args.end());
    const RunResult result = run(command);
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_NE(result.err.find("this build has no 3MF support (install lib3mf-dev and rebuild)"), std::string::npos)
        << result.err;
    EXPECT_EQ(result.out.find("image_preprocessing"), std::string::npos) << result.out;
  }
  EXPECT_TRUE(fs::is_empty(work_));
}

TEST_F(CliTest, UsageErrorsExitWithTwo) {
  EXPECT_EQ(run({"generate", (kData / "disc_rgba.png").string()}).exit_code, 2);  // no -o
  EXPECT_EQ(run({"generate", (kData / "disc_rgba.png").string(), "-o", "x.stl", "--resolution", "5"}).exit_code, 2);
  EXPECT_EQ(run({"generate", (kData / "disc_rgba.png").string(), "-o", "x.stl", "--backend", "magic"}).exit_code, 2);
  EXPECT_EQ(run({"frobnicate"}).exit_code, 2);
  EXPECT_EQ(run({"generate", (kData / "disc_rgba.png").string(), "-o", "x.stl", "--min-thickness", "-1"}).exit_code, 2);
  // A minimum thicker than the whole model: said so, nothing written.
  const RunResult thick = run({"generate", (kData / "disc_rgba.png").string(), "-o", (work_ / "x.stl").string(),
                               "--size-mm", "20", "--min-thickness", "30"});
  EXPECT_EQ(thick.exit_code, 2);
  EXPECT_NE(thick.err.find("--min-thickness 30 mm"), std::string::npos) << thick.err;
  EXPECT_TRUE(fs::is_empty(work_));
}

TEST_F(CliTest, PrintsWhereTheModelWentAndEveryStageTime) {
  const fs::path out = work_ / "disc.stl";
  const RunResult result =
      run({"generate", (kData / "disc_rgba.png").string(), "-o", out.string(), "--resolution", "48"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("wrote " + out.string()), std::string::npos) << result.out;
  for (const char* stage : {"image_preprocessing", "shape_generation", "mesh_extraction", "post_processing",
                            "texture_synthesis", "export", "total"}) {
    EXPECT_NE(result.out.find(stage), std::string::npos) << stage;
  }
  EXPECT_TRUE(result.err.empty()) << "no progress output when stderr is not a terminal: " << result.err;

  const RunResult quiet =
      run({"generate", (kData / "disc_rgba.png").string(), "-o", out.string(), "--resolution", "48", "--quiet"});
  ASSERT_EQ(quiet.exit_code, 0);
  EXPECT_TRUE(quiet.out.empty());
  EXPECT_TRUE(quiet.err.empty());
}

// The area of the STL's faces lying on the build plate (z = 0), in mm².
double bed_area(const fs::path& path) {
  const auto stl = exporter::read_stl_binary(path);
  EXPECT_TRUE(stl.has_value());
  double area = 0.0;
  for (const auto& facet : stl->triangles) {
    const auto& v = facet.vertices;
    if (v[0].z == 0.0F && v[1].z == 0.0F && v[2].z == 0.0F) area += 0.5 * length(cross(v[1] - v[0], v[2] - v[0]));
  }
  return area;
}

TEST_F(CliTest, AnStlStandsOnAFlatBaseUnlessToldNotAndVerbosePrintsTheReport) {
  const fs::path flat = work_ / "flat.stl";
  const RunResult result = run({"generate", (kData / "disc_rgba.png").string(), "-o", flat.string(), "--resolution",
                                "64", "--size-mm", "80", "-v"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_TRUE(result.err.empty()) << "a stable base warns of nothing: " << result.err;
  for (const char* line :
       {"print report", "base               flat", "footprint", "thinnest wall", "overhangs > 45°"}) {
    EXPECT_NE(result.out.find(line), std::string::npos) << line << " in: " << result.out;
  }
  const double area = bed_area(flat);
  EXPECT_GT(area, 100.0) << "an 80 mm lens on its edge stands on a few cm²";
  EXPECT_LT(area, 0.5 * 80.0 * 80.0);
  EXPECT_NE(result.out.find(fmt::format("{:.1f} mm²", area)), std::string::npos) << result.out;

  const fs::path round = work_ / "round.stl";
  const RunResult none = run({"generate", (kData / "disc_rgba.png").string(), "-o", round.string(), "--resolution",
                              "64", "--size-mm", "80", "--base", "none", "--quiet"});
  ASSERT_EQ(none.exit_code, 0) << none.err;
  EXPECT_TRUE(none.out.empty()) << "no report without -v";
  EXPECT_LT(bed_area(round), 0.05 * area);
  EXPECT_TRUE(stl_topology(round).watertight());
  EXPECT_TRUE(stl_topology(flat).watertight());

  EXPECT_EQ(run({"generate", (kData / "disc_rgba.png").string(), "-o", round.string(), "--base", "round"}).exit_code,
            2);
}

// Every input kind, every format: closed printable STL sized as asked, GLB valid for Khronos.
class CliImageTest : public CliTest, public ::testing::WithParamInterface<const char*> {};

TEST_P(CliImageTest, StlIsWatertightAndSizedInMillimetres) {
  const fs::path out = work_ / "model.stl";
  const RunResult result = run({"generate", (kData / GetParam()).string(), "-o", out.string(), "--resolution", "96",
                                "--size-mm", "80", "--faces", "20000", "--quiet"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto size = fs::file_size(out);
  ASSERT_GT(size, 84U);
  EXPECT_EQ((size - 84) % 50, 0U);
  const mesh::TopologyReport topology = stl_topology(out);
  EXPECT_TRUE(topology.watertight());
  EXPECT_EQ(topology.inconsistently_oriented_edges, 0U);
  EXPECT_EQ(topology.degenerate_faces, 0U);
  EXPECT_GT(topology.signed_volume, 0.0);
  EXPECT_LE(topology.faces, 20000U);
  auto stl = exporter::read_stl_binary(out);
  ASSERT_TRUE(stl.has_value());
  Vec3f lo{1e9F, 1e9F, 1e9F};
  Vec3f hi{-1e9F, -1e9F, -1e9F};
  for (const auto& facet : stl->triangles) {
    for (const Vec3f& p : facet.vertices) {
      lo = {std::min(lo.x, p.x), std::min(lo.y, p.y), std::min(lo.z, p.z)};
      hi = {std::max(hi.x, p.x), std::max(hi.y, p.y), std::max(hi.z, p.z)};
    }
  }
  EXPECT_NEAR(std::max({hi.x - lo.x, hi.y - lo.y, hi.z - lo.z}), 80.0F, 1e-3F);
  EXPECT_NEAR(lo.z, 0.0F, 1e-4F) << "the model stands on the build plate";
}

TEST_P(CliImageTest, GlbPassesTheKhronosValidator) {
  ORFEAS_NEED_GLTF_VALIDATOR();
  const fs::path out = work_ / "model.glb";
  const RunResult result =
      run({"generate", (kData / GetParam()).string(), "-o", out.string(), "--resolution", "64", "--quiet"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_TRUE(passes_gltf_validator(out));
}

TEST_P(CliImageTest, ObjAndPlyCarryVertexColours) {
  const fs::path obj = work_ / "model.obj";
  const fs::path ply = work_ / "model.ply";
  for (const fs::path& out : {obj, ply}) {
    const RunResult result =
        run({"generate", (kData / GetParam()).string(), "-o", out.string(), "--resolution", "48", "--quiet"});
    ASSERT_EQ(result.exit_code, 0) << result.err;
  }
  const std::string obj_text = read_text(obj);
  const auto first_vertex = obj_text.find("\nv ");
  ASSERT_NE(first_vertex, std::string::npos);
  std::istringstream line(obj_text.substr(first_vertex + 3, obj_text.find('\n', first_vertex + 1) - first_vertex - 3));
  std::vector<double> fields;
  for (double v = 0; line >> v;) fields.push_back(v);
  EXPECT_EQ(fields.size(), 6U) << "v x y z r g b";
  const std::string ply_head = read_text(ply).substr(0, 400);
  EXPECT_EQ(ply_head.rfind("ply\nformat binary_little_endian 1.0", 0), 0U);
  EXPECT_NE(ply_head.find("property uchar red"), std::string::npos);
}

// The largest (|a| + |b|) / max(|a|, |b|) over a mesh's vertices in the image's plane (an STL on its
// build plate: x and z; y is the depth): about √2 for a round outline, 2 for a square one.
float component(const Vec3f& v, int axis) {
  return axis == 0 ? v.x : (axis == 1 ? v.y : v.z);
}

double corner_ratio(const exporter::StlMesh& mesh) {
  std::array<float, 3> lo{1e30F, 1e30F, 1e30F};
  std::array<float, 3> hi{-1e30F, -1e30F, -1e30F};
  for (const auto& t : mesh.triangles) {
    for (const Vec3f& v : t.vertices) {
      for (int k = 0; k < 3; ++k) {
        lo[k] = std::min(lo[k], component(v, k));
        hi[k] = std::max(hi[k], component(v, k));
      }
    }
  }
  const std::array<int, 2> axes{0, 2};
  double best = 0.0;
  for (const auto& t : mesh.triangles) {
    for (const Vec3f& v : t.vertices) {
      const double a =
          std::abs(component(v, axes[0]) - 0.5 * (lo[axes[0]] + hi[axes[0]])) / (0.5 * (hi[axes[0]] - lo[axes[0]]));
      const double b =
          std::abs(component(v, axes[1]) - 0.5 * (lo[axes[1]] + hi[axes[1]])) / (0.5 * (hi[axes[1]] - lo[axes[1]]));
      best = std::max(best, a + b);
    }
  }
  return best;
}

// --mask FILE replaces the detected foreground: the round disc of disc_rgba.png cut by a square mask
// becomes a square-based shape. (Without a base: a flat cut would make the square's height, its
// longest side, shorter than its depth, and the ratio would be measured across the wrong plane.)
TEST_F(CliTest, AGivenMaskReplacesTheDetectedForeground) {
  const fs::path detected = work_ / "detected.stl";
  const fs::path masked = work_ / "masked.stl";
  ASSERT_EQ(run({"generate", (kData / "disc_rgba.png").string(), "-o", detected.string(), "--resolution", "48",
                 "--base", "none"})
                .exit_code,
            0);
  const RunResult result =
      run({"generate", (kData / "disc_rgba.png").string(), "--mask", (kData / "square_mask_200.png").string(), "-o",
           masked.string(), "--resolution", "48", "--base", "none"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto round = exporter::read_stl_binary(detected);
  const auto square = exporter::read_stl_binary(masked);
  ASSERT_TRUE(round.has_value() && square.has_value());
  EXPECT_LT(corner_ratio(*round), 1.5);
  EXPECT_GT(corner_ratio(*square), 1.8);
}

TEST_F(CliTest, AMaskOfAnotherSizeOrWithSeveralImagesIsRefusedAndNothingIsWritten) {
  const RunResult other_size = run({"generate", (kData / "star_palette.png").string(), "--mask",
                                    (kData / "square_mask_200.png").string(), "-o", (work_ / "star.stl").string()});
  EXPECT_EQ(other_size.exit_code, 1);
  EXPECT_NE(other_size.err.find("the mask is 200x200 pixels but the image is"), std::string::npos) << other_size.err;
  const RunResult several = run({"generate", (kData / "disc_rgba.png").string(), (kData / "star_palette.png").string(),
                                 "--mask", (kData / "square_mask_200.png").string(), "--out-dir", work_.string()});
  EXPECT_EQ(several.exit_code, 1);
  EXPECT_NE(several.err.find("--mask goes with one image"), std::string::npos) << several.err;
  EXPECT_TRUE(fs::is_empty(work_));
}

// A photo with no object to cut out (a landscape from above, running into every border): the run
// stops with one line saying why and what to do, writing nothing; --on-uncertain-mask warn goes on
// and says so.
TEST_F(CliTest, AnObjectThatCannotBeToldFromTheFrameStopsTheRunOrWarns) {
  const fs::path out = work_ / "landscape.stl";
  const RunResult stopped = run({"generate", (kData / "photos" / "aero3.jpg").string(), "-o", out.string()});
  EXPECT_EQ(stopped.exit_code, 1);
  EXPECT_NE(stopped.err.find("runs into 4 borders of the picture"), std::string::npos) << stopped.err;
  EXPECT_NE(stopped.err.find("--mask FILE"), std::string::npos) << stopped.err;
  EXPECT_TRUE(fs::is_empty(work_));
  const RunResult warned = run({"generate", (kData / "photos" / "aero3.jpg").string(), "-o", out.string(),
                                "--on-uncertain-mask", "warn", "--resolution", "32"});
  ASSERT_EQ(warned.exit_code, 0) << warned.err;
  EXPECT_NE(warned.err.find("orfeas: warning: "), std::string::npos) << warned.err;
  EXPECT_NE(warned.err.find("runs into 4 borders"), std::string::npos) << warned.err;
  EXPECT_TRUE(fs::is_regular_file(out));
  EXPECT_EQ(
      run({"generate", (kData / "photos" / "aero3.jpg").string(), "-o", out.string(), "--on-uncertain-mask", "maybe"})
          .exit_code,
      2);
}

INSTANTIATE_TEST_SUITE_P(Images, CliImageTest,
                         ::testing::Values("disc_rgba.png", "star_palette.png", "ring_gray_alpha.png",
                                           "drawing_on_white.jpg", "photo_object.jpg"),
                         [](const ::testing::TestParamInfo<const char*>& param_info) {
                           std::string name = param_info.param;
                           for (char& c : name) c = std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
                           return name;
                         });

}  // namespace
}  // namespace orfeas
