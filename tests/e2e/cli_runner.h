// The e2e tests' way of running the real `orfeas` binary: a fixture with a private temporary
// folder, the command's exit code and captured output.
#pragma once

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "orfeas/testing/temp_dir.h"

namespace orfeas {

namespace fs = std::filesystem;
using orfeas::testing::TempDir;

inline const fs::path kData = fs::path(ORFEAS_SOURCE_DIR) / "tests/data";

inline std::string quoted(const std::string& arg) {
  std::string out = "'";
  for (char c : arg) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

inline std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

struct RunResult {
  int exit_code = -1;  // -1: killed by a signal (a crash)
  std::string out;
  std::string err;
};

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override { fs::create_directories(work_); }

  // Runs the CLI with a generous time limit (a hang fails the test instead of blocking CI).
  // `shell_prefix` runs first in the same shell (e.g. "ulimit -v 3000000;").
  RunResult run(const std::vector<std::string>& args, const std::string& shell_prefix = "") const {
    // The calibration the GPU optimizer keeps goes to the test's own folder, never the user's.
    std::string command = shell_prefix + " ORFEAS_DATA_DIR=" + quoted((dir_ / "data").string()) + " timeout 300 " +
                          quoted(ORFEAS_CLI_PATH);
    for (const auto& a : args) command += " " + quoted(a);
    command += " >" + quoted((dir_ / "stdout").string()) + " 2>" + quoted((dir_ / "stderr").string());
    const int status = std::system(command.c_str());
    RunResult result;
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    result.out = read_text(dir_ / "stdout");
    result.err = read_text(dir_ / "stderr");
    return result;
  }

  const TempDir temp_;
  const fs::path dir_ = temp_.path();    // the CLI's captured stdout and stderr
  const fs::path work_ = dir_ / "work";  // output directory: must stay empty after every failure
  const fs::path data_ = dir_ / "data";  // ORFEAS_DATA_DIR of every run
};

}  // namespace orfeas
