// Test support (library orfeas_testing, built only with ORFEAS_WITH_TESTS): the Khronos
// glTF-Validator, run through node on a written .glb, for the export tests and the end-to-end tests.
//
//   TEST(ExportGlb, Valid) {
//     ...write dir.file("model.glb")...
//     ORFEAS_NEED_GLTF_VALIDATOR();   // skips here where the validator is absent (fails in CI)
//     EXPECT_TRUE(orfeas::testing::passes_gltf_validator(dir.file("model.glb")));
//   }
//
// Needs Node.js on PATH and `npm ci --prefix tools/gltf-validate`. Where either is missing (a GPU
// machine without node_modules, say) the tests that need the validator are skipped with the reason;
// with ORFEAS_REQUIRE_GLTF_VALIDATOR=1 in the environment (CI) they fail instead, so a CI run can
// never pass without validating.
#pragma once

#include <filesystem>
#include <string>

#include <gtest/gtest.h>

namespace orfeas::testing {

// Why the validator cannot run here ("node is not on PATH...", "the gltf-validator package is not
// installed..."), or empty when it can. Looks at PATH and the files only; runs nothing.
[[nodiscard]] std::string gltf_validator_missing();

// True when ORFEAS_REQUIRE_GLTF_VALIDATOR=1: an absent validator is a failure, not a skip.
[[nodiscard]] bool gltf_validator_required();

// Runs `node tools/gltf-validate/validate.mjs --strict FILE`: success only with 0 errors and 0
// warnings. The result's message is the validator's output (its summary line and one line per
// issue), also printed to stdout on success for the test log. Fails (never skips) when node or the
// validator package is missing: guard the call with ORFEAS_NEED_GLTF_VALIDATOR().
[[nodiscard]] ::testing::AssertionResult passes_gltf_validator(const std::filesystem::path& glb);

}  // namespace orfeas::testing

// In a test body: returns from the test, skipped (or failed under ORFEAS_REQUIRE_GLTF_VALIDATOR=1)
// with the reason, when the validator cannot run here. Checks made before it still count.
#define ORFEAS_NEED_GLTF_VALIDATOR()                                                                                 \
  do {                                                                                                               \
    if (const std::string orfeas_missing_ = ::orfeas::testing::gltf_validator_missing(); !orfeas_missing_.empty()) { \
      if (::orfeas::testing::gltf_validator_required()) {                                                            \
        FAIL() << orfeas_missing_ << " (ORFEAS_REQUIRE_GLTF_VALIDATOR=1: the validator must run here)";              \
      }                                                                                                              \
      GTEST_SKIP() << orfeas_missing_;                                                                               \
    }                                                                                                                \
  } while (false)
