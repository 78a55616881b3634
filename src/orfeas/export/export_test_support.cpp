#include "orfeas/export/export_test_support.h"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <random>
#include <sstream>

namespace orfeas::exporter::test_support {

TempDir::TempDir() {
  std::random_device random;
  const std::filesystem::path base = std::filesystem::temp_directory_path();
  for (;;) {
    path_ = base / ("orfeas-export-test-" + std::to_string(::getpid()) + "-" + std::to_string(random()));
    if (std::filesystem::create_directory(path_)) break;
  }
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::permissions(path_, std::filesystem::perms::owner_all, std::filesystem::perm_options::add, ignored);
  std::filesystem::remove_all(path_, ignored);
}

std::vector<std::string> TempDir::entries() const {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(path_)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

mesh::Mesh make_octahedron(bool with_normals, bool with_colors) {
  const std::array<Vec3f, 6> axes = {Vec3f{1, 0, 0},  Vec3f{-1, 0, 0}, Vec3f{0, 1, 0},
                                     Vec3f{0, -1, 0}, Vec3f{0, 0, 1},  Vec3f{0, 0, -1}};
  mesh::Mesh mesh;
  for (const Vec3f a : axes) {
    mesh.positions.push_back(Vec3f{a.x * kOctahedronScale.x, a.y * kOctahedronScale.y, a.z * kOctahedronScale.z} +
                             kOctahedronOffset);
    if (with_normals) mesh.normals.push_back(a);
  }
  if (with_colors) {
    mesh.colors = {{255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {255, 255, 0}, {128, 64, 32}, {10, 200, 100}};
  }
  for (const int sx : {1, -1}) {
    for (const int sy : {1, -1}) {
      for (const int sz : {1, -1}) {
        const std::uint32_t x = sx > 0 ? 0 : 1;
        const std::uint32_t y = sy > 0 ? 2 : 3;
        const std::uint32_t z = sz > 0 ? 4 : 5;
        // (x, y, z) is counter-clockwise seen from outside exactly when sx*sy*sz > 0.
        mesh.triangles.push_back(sx * sy * sz > 0 ? mesh::Triangle{x, y, z} : mesh::Triangle{x, z, y});
      }
    }
  }
  return mesh;
}

Vec3f octahedron_centred(Vec3f p, float size) {
  // The bounding box's centre is the offset; its longest side (Y) is 2 model units.
  return (p - kOctahedronOffset) * (size / 2.0F);
}

Vec3f octahedron_on_plate(Vec3f p, float size) {
  const Vec3f centred = octahedron_centred(p, size);
  return {centred.x, -centred.z, centred.y + kOctahedronScale.y * size / 2.0F};
}

void expect_near(Vec3f actual, Vec3f expected, float tolerance) {
  EXPECT_NEAR(actual.x, expected.x, tolerance);
  EXPECT_NEAR(actual.y, expected.y, tolerance);
  EXPECT_NEAR(actual.z, expected.z, tolerance);
}

mesh::Mesh make_grid(std::uint32_t columns, std::uint32_t rows, bool with_normals, bool with_colors) {
  mesh::Mesh mesh;
  for (std::uint32_t r = 0; r < rows; ++r) {
    for (std::uint32_t c = 0; c < columns; ++c) {
      const float u = static_cast<float>(c) / static_cast<float>(columns - 1);
      const float v = static_cast<float>(r) / static_cast<float>(rows - 1);
      mesh.positions.push_back({2.0F * u - 1.0F, 0.1F * std::sin(6.0F * u) * std::cos(5.0F * v), 2.0F * v - 1.0F});
      if (with_normals) mesh.normals.push_back(normalized(Vec3f{0.1F * u, 1.0F, -0.1F * v}));
      if (with_colors) {
        mesh.colors.push_back({static_cast<std::uint8_t>(c % 256), static_cast<std::uint8_t>(r % 256),
                               static_cast<std::uint8_t>((c + r) % 256)});
      }
    }
  }
  for (std::uint32_t r = 0; r + 1 < rows; ++r) {
    for (std::uint32_t c = 0; c + 1 < columns; ++c) {
      const std::uint32_t i = r * columns + c;
      // Seen from +Y, with +Z pointing towards the viewer's bottom: CCW.
      mesh.triangles.push_back({i, i + columns, i + 1});
      mesh.triangles.push_back({i + 1, i + columns, i + columns + 1});
    }
  }
  return mesh;
}

std::vector<std::byte> read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::byte> bytes(text.size());
  std::transform(text.begin(), text.end(), bytes.begin(), [](char c) { return static_cast<std::byte>(c); });
  return bytes;
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_text(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

::testing::AssertionResult passes_gltf_validator(const std::filesystem::path& glb) {
  const std::string script = std::string(ORFEAS_SOURCE_DIR) + "/tools/gltf-validate/validate.mjs";
  const std::string command = "node '" + script + "' --strict '" + glb.string() + "' 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return ::testing::AssertionFailure() << "cannot run: " << command;
  std::string output;
  std::array<char, 4096> chunk{};
  while (const std::size_t n = std::fread(chunk.data(), 1, chunk.size(), pipe)) {
    output.append(chunk.data(), n);
  }
  const int status = ::pclose(pipe);
  const int exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (exit_code == 0) {
    std::fputs(output.c_str(), stdout);  // the validator's summary, for the test log
    return ::testing::AssertionSuccess() << output;
  }
  if (exit_code == 127) {
    return ::testing::AssertionFailure() << "node is not on PATH; install Node.js and run "
                                            "`npm ci --prefix tools/gltf-validate`\n"
                                         << output;
  }
  return ::testing::AssertionFailure() << "glTF-Validator failed (exit " << exit_code << ", "
                                       << "run `npm ci --prefix tools/gltf-validate` if the "
                                          "package is missing):\n"
                                       << output;
}

}  // namespace orfeas::exporter::test_support
