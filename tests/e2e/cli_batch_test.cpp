// End-to-end: `orfeas generate` over several images (a queue worked through in optimizer-sized
// batches), its profiling outputs, `orfeas profile` and `orfeas gpu`, as a user runs them.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <set>

#include "cli_runner.h"
#include "orfeas/profiling/stage_scope.h"

namespace orfeas {
namespace {

class CliBatchTest : public CliTest {
 protected:
  // A folder of inputs: three good images and one broken one.
  fs::path make_inputs() const {
    const fs::path in = dir_ / "in";
    fs::create_directories(in);
    for (const char* name : {"disc_rgba.png", "star_palette.png", "photo_object.jpg", "truncated.png"}) {
      fs::copy_file(kData / name, in / name);
    }
    fs::copy_file(kData / "README.md", in / "notes.md");  // not an image: ignored in a folder
    return in;
  }
};

TEST_F(CliBatchTest, FolderOfImagesCompletesAndReportsTheBrokenOne) {
  const fs::path in = make_inputs();
  const RunResult result =
      run({"generate", in.string(), "--out-dir", work_.string(), "--format", "ply", "--resolution", "40"});
  EXPECT_EQ(result.exit_code, 1) << "one job failed, so the run fails";
  EXPECT_TRUE(fs::is_regular_file(work_ / "disc_rgba.ply"));
  EXPECT_TRUE(fs::is_regular_file(work_ / "star_palette.ply"));
  EXPECT_TRUE(fs::is_regular_file(work_ / "photo_object.ply"));
  EXPECT_FALSE(fs::exists(work_ / "truncated.ply"));
  EXPECT_EQ(std::distance(fs::directory_iterator(work_), fs::directory_iterator()), 3);
  EXPECT_NE(result.err.find("truncated.png"), std::string::npos) << result.err;
  EXPECT_EQ(result.err.find('\n'), result.err.size() - 1) << "one line for the one failure: " << result.err;
  EXPECT_NE(result.out.find("3 of 4 images done"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("1 failed"), std::string::npos) << result.out;
}

TEST_F(CliBatchTest, SeveralFilesWithSharedStemsGetDistinctOutputs) {
  const RunResult result = run({"generate", (kData / "disc_rgba.png").string(), (kData / "disc_rgba.png").string(),
                                "--out-dir", work_.string(), "--resolution", "32", "--quiet"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_TRUE(fs::is_regular_file(work_ / "disc_rgba.stl"));
  EXPECT_TRUE(fs::is_regular_file(work_ / "disc_rgba_2.stl"));
  EXPECT_TRUE(result.out.empty());
}

TEST_F(CliBatchTest, OneOutputFileForSeveralImagesIsAUsageError) {
  const RunResult result = run({"generate", (kData / "disc_rgba.png").string(), (kData / "star_palette.png").string(),
                                "-o", (work_ / "x.stl").string()});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("--out-dir"), std::string::npos) << result.err;
  EXPECT_EQ(run({"generate", (kData / "disc_rgba.png").string(), "--format", "glb"}).exit_code, 2);
  EXPECT_TRUE(fs::is_empty(work_));
}

TEST_F(CliBatchTest, ProfileAndTraceDescribeEveryJobAndStage) {
  const fs::path in = make_inputs();
  const fs::path report = dir_ / "report.json";
  const fs::path trace = dir_ / "trace.json";
  const RunResult result = run({"generate", in.string(), "--out-dir", work_.string(), "--resolution", "40", "--profile",
                                report.string(), "--trace", trace.string(), "--quiet"});
  if (!profiling::kProfilingEnabled) {  // the build without the profiler says so, before any work
    EXPECT_EQ(result.exit_code, 2) << result.err;
    EXPECT_NE(result.err.find("ORFEAS_WITH_PROFILING=OFF"), std::string::npos) << result.err;
    EXPECT_TRUE(fs::is_empty(work_));
    return;
  }
  EXPECT_EQ(result.exit_code, 1) << result.err;

  const auto report_json = nlohmann::json::parse(read_text(report));
  std::size_t complete = 0;
  for (const auto& profile : report_json.at("profiles")) {
    std::vector<std::string> stages;
    std::size_t sub_stages = 0;  // under shape_generation and mesh_extraction
    for (const auto& stage : profile.at("stages")) {
      if (stage.at("parent").get<int>() < 0) {
        stages.push_back(stage.at("name").get<std::string>());
      } else {
        ++sub_stages;
      }
    }
    if (stages.size() == 6) {
      EXPECT_EQ(sub_stages, 5U) << "inflate_field (its poisson_solve), volume_sampling, marching_cubes, normals";
      ++complete;
      EXPECT_EQ(stages.front(), "image_preprocessing");
      EXPECT_EQ(stages.back(), "export");
    }
  }
  EXPECT_EQ(complete, 3U);

  const auto trace_json = nlohmann::json::parse(read_text(trace));
  std::set<int> tracks;
  std::size_t stage_events = 0;
  for (const auto& event : trace_json.at("traceEvents")) {
    if (event.at("ph") != "X") continue;
    ++stage_events;
    tracks.insert(event.at("tid").get<int>());
    EXPECT_GE(event.at("dur").get<double>(), 0.0);
  }
  EXPECT_EQ(tracks.size(), 4U) << "one track per job";
  EXPECT_GE(stage_events, 3U * 6U + 1U);

  const RunResult printed = run({"profile", report.string()});
  ASSERT_EQ(printed.exit_code, 0) << printed.err;
  EXPECT_NE(printed.out.find("bottlenecks"), std::string::npos);
  EXPECT_NE(printed.out.find("recommendations"), std::string::npos);
  EXPECT_NE(printed.out.find("shape_generation"), std::string::npos);
}

TEST_F(CliBatchTest, ProfileOfAMissingOrBrokenReportFailsCleanly) {
  EXPECT_EQ(run({"profile", (dir_ / "missing.json").string()}).exit_code, 1);
  const RunResult broken = run({"profile", (kData / "garbage.png").string()});
  EXPECT_EQ(broken.exit_code, 1);
  EXPECT_EQ(broken.err.rfind("orfeas: error: ", 0), 0U) << broken.err;
}

// Holds on any machine: CPU mode where no device is found (CI), the device's figures on a GPU machine.
TEST_F(CliBatchTest, GpuCommandReportsTheModeAndSizesTheBatch) {
  const RunResult result = run({"gpu", "--resolution", "384", "--queue", "8", "--json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto json = nlohmann::json::parse(result.out);
  const std::string mode = json.at("memory_profile").at("mode");
  ASSERT_TRUE(mode == "cpu" || mode == "cuda") << mode;
  const auto& batch = json.at("batch");
  EXPECT_GE(batch.at("recommended").get<int>(), 1);
  EXPECT_LE(batch.at("recommended").get<int>(), batch.at("max_safe").get<int>());
  EXPECT_LE(batch.at("max_safe").get<int>(), 8);
  EXPECT_GT(batch.at("bytes_per_item").get<double>(), 4.0 * 385 * 385 * 385) << "at least the volume";
  EXPECT_EQ(json.at("configuration").at("key"), "inflate/" + mode + "/r384");  // the pipeline on that device

  const RunResult text = run({"gpu"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("mode: " + mode), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("recommended"), std::string::npos);
}

// Address and thread sanitizers reserve terabytes of address space: a virtual-memory limit is
// meaningless under them, so these run in the release build (CI runs it too).
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
// 3 GB of address space: less than one 1024³ volume (4.3 GB).
const std::string kSmallAddressSpace = "ulimit -v 3000000;";

TEST_F(CliBatchTest, OutOfHostMemoryIsOneLineNotAnAbort) {
  if (kSanitized) GTEST_SKIP() << "a virtual-memory limit cannot hold under a sanitizer";
  const fs::path out = work_ / "duck.stl";
  const RunResult result = run({"generate", (fs::path(ORFEAS_SOURCE_DIR) / "examples/duck.png").string(), "-o",
                                out.string(), "--resolution", "1024"},
                               kSmallAddressSpace);
  EXPECT_EQ(result.exit_code, 1) << result.err;
  EXPECT_NE(result.err.find("out of"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("memory"), std::string::npos) << result.err;
  EXPECT_FALSE(fs::exists(out));
}

TEST_F(CliBatchTest, JobsOutOfHostMemoryFailOneByOneAndTheRunGoesOn) {
  if (kSanitized) GTEST_SKIP() << "a virtual-memory limit cannot hold under a sanitizer";
  const RunResult result = run({"generate", (kData / "disc_rgba.png").string(), (kData / "star_palette.png").string(),
                                "--out-dir", work_.string(), "--resolution", "1024"},
                               kSmallAddressSpace);
  EXPECT_EQ(result.exit_code, 1) << result.err;
  std::size_t lines = 0;
  for (std::size_t at = result.err.find("orfeas: error:"); at != std::string::npos;
       at = result.err.find("orfeas: error:", at + 1)) {
    ++lines;
  }
  EXPECT_EQ(lines, 2U) << "one line per job: " << result.err;
  EXPECT_NE(result.out.find("0 of 2 images done"), std::string::npos) << result.out;
  EXPECT_TRUE(fs::is_empty(work_));
}

TEST_F(CliBatchTest, AFaceBudgetThatCannotBeMetSaysWhy) {
  const fs::path out = work_ / "disc.stl";
  const RunResult result = run({"generate", (kData / "disc_rgba.png").string(), "-o", out.string(), "--resolution",
                                "48", "--faces", "2", "--quiet"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_TRUE(fs::is_regular_file(out));
  EXPECT_NE(result.err.find("warning"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("target 2"), std::string::npos) << result.err;
  const RunResult met = run({"generate", (kData / "disc_rgba.png").string(), "-o", out.string(), "--resolution", "48",
                             "--faces", "1000", "--quiet"});
  EXPECT_EQ(met.exit_code, 0) << met.err;
  EXPECT_TRUE(met.err.empty()) << met.err;
}

TEST_F(CliBatchTest, ABrokenCalibrationFileIsReportedOnceAndIgnored) {
  for (const std::string broken : {R"({"version":2})", R"({"version":1,"entries":{"x")", "not json at all"}) {
    fs::create_directories(data_);
    std::ofstream(data_ / "gpu_calibration.json") << broken;
    const fs::path out = work_ / "disc.stl";
    const RunResult result =
        run({"generate", (kData / "disc_rgba.png").string(), "-o", out.string(), "--resolution", "48", "--quiet"});
    EXPECT_EQ(result.exit_code, 0) << broken << ": " << result.err;
    EXPECT_TRUE(fs::is_regular_file(out)) << broken;
    EXPECT_NE(result.err.find("warning"), std::string::npos) << broken << ": " << result.err;
    EXPECT_EQ(result.err.find("warning"), result.err.rfind("warning")) << "once: " << result.err;
    fs::remove(out);
  }
}

}  // namespace
}  // namespace orfeas
