// `orfeas render` run as a process on meshes `orfeas generate` writes.
#include <cstddef>
#include <string>

#include <gtest/gtest.h>

#include "cli_runner.h"
#include "orfeas/image/decode.h"

namespace orfeas {
namespace {

class CliRenderTest : public CliTest {
 protected:
  // An image of tests/data (by default the green disc on transparent) as a mesh in `name`, round
  // (no base), so every format holds the same shape.
  fs::path generate(const std::string& name, const std::string& input = "disc_rgba.png") {
    const fs::path mesh = work_ / name;
    const RunResult run_result =
        run({"generate", (kData / input).string(), "--resolution", "64", "--base", "none", "-q", "-o", mesh.string()});
    EXPECT_EQ(run_result.exit_code, 0) << run_result.err;
    return mesh;
  }

  image::ImageRgba8 load(const fs::path& path) {
    Result<image::ImageRgba8> picture = image::load_image_file(path, {});
    EXPECT_TRUE(picture) << picture.error().message();
    return picture ? std::move(*picture) : image::ImageRgba8{};
  }
};

// Pixels of the panel at `column` that are not the background (the top-left corner's colour).
double covered(const image::ImageRgba8& sheet, int column, int size, int top = 0) {
  const image::Rgba8 background = sheet.at(0, 0);
  double count = 0.0;
  for (int y = top; y < top + size; ++y) {
    for (int x = column * size; x < (column + 1) * size; ++x) count += sheet.at(x, y) == background ? 0.0 : 1.0;
  }
  return count;
}

TEST_F(CliRenderTest, InputBesideItsViewsInOnePng) {
  const fs::path mesh = generate("disc.ply");
  const fs::path out = work_ / "disc.png";
  const RunResult result = run({"render", mesh.string(), "--image", (kData / "disc_rgba.png").string(), "--views",
                                "front,side,back,top", "--size", "64", "-o", out.string()});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("320x64 pixels"), std::string::npos) << result.out;
  const image::ImageRgba8 sheet = load(out);
  ASSERT_EQ(sheet.width, 5 * 64);
  ASSERT_EQ(sheet.height, 64);
  EXPECT_EQ(sheet.at(32, 32), (image::Rgba8{0x20, 0xa0, 0x50, 255})) << "the input's disc";
  // The front view's middle: the disc's green, shaded, never grey or the background.
  const image::Rgba8 front = sheet.at(64 + 32, 32);
  EXPECT_GT(front.g, front.r + 40);
  EXPECT_GT(front.g, front.b + 20);
  // A disc inflates to a ball: every view covers about as much.
  const double front_area = covered(sheet, 1, 64);
  EXPECT_GT(front_area, 600.0);
  for (const int column : {2, 3, 4}) EXPECT_NEAR(covered(sheet, column, 64), front_area, front_area * 0.05) << column;
}

// An STL stands Z-up on the plate; rendered, it shows the same front (a star) and top (a thin
// lens) as the PLY.
TEST_F(CliRenderTest, StlIsTurnedUpright) {
  const fs::path ply = generate("star.ply", "star_palette.png");
  const fs::path stl = generate("star.stl", "star_palette.png");
  const fs::path out = work_ / "both.png";
  const RunResult result =
      run({"render", ply.string(), stl.string(), "--views", "front,top", "--size", "48", "-o", out.string()});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const image::ImageRgba8 sheet = load(out);
  ASSERT_EQ(sheet.width, 96);
  ASSERT_EQ(sheet.height, 96);
  // Front and top differ enough that an STL left unturned (its top shown as its front) would fail.
  EXPECT_LT(covered(sheet, 1, 48), covered(sheet, 0, 48) * 0.95);
  for (int column = 0; column < 2; ++column) {
    const double ply_area = covered(sheet, column, 48);
    EXPECT_GT(ply_area, 200.0) << column;
    EXPECT_NEAR(covered(sheet, column, 48, 48), ply_area, ply_area * 0.02) << column;
  }
}

TEST_F(CliRenderTest, BadRequestsAreOneLineAndWriteNothing) {
  const fs::path mesh = generate("disc.ply");
  const fs::path out = work_ / "x.png";
  const auto expect_error = [&](const std::vector<std::string>& arguments, const std::string& says) {
    const RunResult result = run(arguments);
    EXPECT_EQ(result.exit_code, 1) << result.err;
    EXPECT_NE(result.err.find(says), std::string::npos) << result.err;
    EXPECT_FALSE(fs::exists(out));
  };
  expect_error({"render", mesh.string(), "--views", "front,below", "-o", out.string()}, "unknown view 'below'");
  expect_error(
      {"render", mesh.string(), mesh.string(), "--image", (kData / "disc_rgba.png").string(), "-o", out.string()},
      "2 meshes and 1 --image files");
  expect_error({"render", (work_ / "missing.ply").string(), "-o", out.string()}, "missing.ply");
  expect_error({"render", mesh.string(), "--image", (kData / "garbage.png").string(), "-o", out.string()},
               "garbage.png");
  expect_error({"render", mesh.string(), "-o", (work_ / "x.jpg").string()}, "is no .png file");
}

}  // namespace
}  // namespace orfeas
