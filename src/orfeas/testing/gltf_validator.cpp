#include "orfeas/testing/gltf_validator.h"

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include <fmt/format.h>

namespace orfeas::testing {
namespace {

std::filesystem::path validator_dir() {
  return std::filesystem::path(ORFEAS_SOURCE_DIR) / "tools" / "gltf-validate";
}

bool node_on_path() {
  const char* path = std::getenv("PATH");
  if (path == nullptr) return false;
  std::string_view rest(path);
  while (!rest.empty()) {
    const std::size_t colon = rest.find(':');
    const std::string_view entry = rest.substr(0, colon);
    rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
    const std::filesystem::path node = std::filesystem::path(entry.empty() ? "." : entry) / "node";
    if (::access(node.c_str(), X_OK) == 0) return true;
  }
  return false;
}

}  // namespace

std::string gltf_validator_missing() {
  if (!node_on_path()) {
    return "glTF-Validator not available: node is not on PATH (install Node.js, then "
           "`npm ci --prefix tools/gltf-validate`)";
  }
  std::error_code error;
  if (!std::filesystem::exists(validator_dir() / "node_modules" / "gltf-validator" / "package.json", error)) {
    return fmt::format(
        "glTF-Validator not available: the gltf-validator package is not installed in {} "
        "(run `npm ci --prefix tools/gltf-validate`)",
        validator_dir().string());
  }
  return {};
}

bool gltf_validator_required() {
  const char* required = std::getenv("ORFEAS_REQUIRE_GLTF_VALIDATOR");
  return required != nullptr && std::string_view(required) == "1";
}

::testing::AssertionResult passes_gltf_validator(const std::filesystem::path& glb) {
  if (std::string missing = gltf_validator_missing(); !missing.empty()) {
    return ::testing::AssertionFailure() << missing;
  }
  const std::string command =
      fmt::format("node '{}' --strict '{}' 2>&1", (validator_dir() / "validate.mjs").string(), glb.string());
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
  return ::testing::AssertionFailure() << "glTF-Validator failed (exit " << exit_code << "):\n" << output;
}

}  // namespace orfeas::testing
