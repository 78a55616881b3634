// Test support (library orfeas_testing, built only with ORFEAS_WITH_TESTS): whole-file reads and
// writes for tests that check what a writer left on disk, or plant a file for a reader.
//
//   EXPECT_EQ(orfeas::testing::read_text(dir.file("out.txt")), "hello");
//
// No error reporting: a missing file reads as empty, which the test's expectation then catches.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

namespace orfeas::testing {

[[nodiscard]] std::string read_text(const std::filesystem::path& path);
[[nodiscard]] std::vector<std::byte> read_bytes(const std::filesystem::path& path);
// Creates or truncates `path` (plain, not atomic: tests plant files with it).
void write_text(const std::filesystem::path& path, const std::string& text);

}  // namespace orfeas::testing
