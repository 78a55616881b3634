#include "orfeas/testing/gltf_validator.h"

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

namespace orfeas::testing {

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

}  // namespace orfeas::testing
