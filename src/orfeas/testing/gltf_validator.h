// Test support (library orfeas_testing, built only with ORFEAS_WITH_TESTS): the Khronos
// glTF-Validator, run through node on a written .glb, for the export tests and the end-to-end tests.
//
//   EXPECT_TRUE(orfeas::testing::passes_gltf_validator(dir.file("model.glb")));
//
// Needs Node.js on PATH and `npm ci --prefix tools/gltf-validate`.
#pragma once

#include <filesystem>

#include <gtest/gtest.h>

namespace orfeas::testing {

// Runs `node tools/gltf-validate/validate.mjs --strict FILE`: success only with 0 errors and 0
// warnings. The result's message is the validator's output (its summary line and one line per
// issue), also printed to stdout on success for the test log. Fails (never skips) when node or the
// validator package is missing.
[[nodiscard]] ::testing::AssertionResult passes_gltf_validator(const std::filesystem::path& glb);

}  // namespace orfeas::testing
