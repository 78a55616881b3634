// Test support (library orfeas_testing, built only with ORFEAS_WITH_TESTS): a temporary directory
// that deletes itself, shared by the module tests and the end-to-end tests.
//
//   const orfeas::testing::TempDir dir;
//   write_something(dir.file("model.stl"));
//   EXPECT_EQ(dir.entries(), std::vector<std::string>{"model.stl"});
//
// Inside namespace orfeas, `testing::` names this namespace; spell GoogleTest's as `::testing::`.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace orfeas::testing {

// A fresh, uniquely named directory under temp_directory_path(), removed with everything in it on
// destruction (its owner permissions are restored first, for tests that take them away).
// Not thread-safe; one per test.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  [[nodiscard]] std::filesystem::path file(const std::string& name) const { return path_ / name; }
  // File names in the directory, sorted (hidden temporary files included).
  [[nodiscard]] std::vector<std::string> entries() const;

 private:
  std::filesystem::path path_;
};

}  // namespace orfeas::testing
