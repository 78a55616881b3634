#include "orfeas/gpu/calibration.h"

#include <random>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "orfeas/testing/file_io.h"
#include "orfeas/testing/temp_dir.h"

namespace orfeas::gpu {
namespace {

using ::orfeas::testing::TempDir;
using ::orfeas::testing::write_text;

TEST(GpuCalibration, ConvergesToNoisyMeasurementsWithHighConfidence) {
  Calibration calibration;
  std::mt19937 random(7);
  std::uniform_real_distribution<double> noise(-0.02, 0.02);
  const double x = 300e6;
  for (int i = 0; i < 20; ++i) calibration.add("k", x * (1 + noise(random)));
  const CalibrationEntry* entry = calibration.find("k");
  ASSERT_NE(entry, nullptr);
  EXPECT_EQ(entry->count, 20u);
  EXPECT_NEAR(static_cast<double>(entry->sizing_bytes()), x, 0.05 * x);
  EXPECT_GE(static_cast<double>(entry->sizing_bytes()), entry->mean_bytes);
  EXPECT_EQ(entry->confidence(), Confidence::kHigh);
}

TEST(GpuCalibration, ConfidenceNeedsFiveAgreeingMeasurements) {
  Calibration calibration;
  EXPECT_EQ(calibration.find("k"), nullptr);
  for (int i = 0; i < 4; ++i) calibration.add("k", 100e6);
  EXPECT_EQ(calibration.find("k")->confidence(), Confidence::kMedium);
  calibration.add("k", 100e6);
  EXPECT_EQ(calibration.find("k")->confidence(), Confidence::kHigh);
  calibration.add("k", 130e6);  // 30 % off: the last five no longer agree
  EXPECT_EQ(calibration.find("k")->confidence(), Confidence::kMedium);
}

TEST(GpuCalibration, FloorWinsOverSmallerMeasurements) {
  Calibration calibration;
  calibration.add("k", 100e6);
  calibration.raise_floor("k", 250'000'000);
  EXPECT_EQ(calibration.find("k")->sizing_bytes(), 250'000'000u);
  calibration.raise_floor("k", 10);  // never lowered
  EXPECT_EQ(calibration.find("k")->oom_floor_bytes, 250'000'000u);
}

TEST(GpuCalibration, SavesAtomicallyAndReloads) {
  const TempDir dir;
  Calibration calibration;
  for (int i = 0; i < 6; ++i) calibration.add("inflate/r256/c0/d4/s0", 150e6 + i);
  calibration.raise_floor("hunyuan3d/r384/c8000/d2/s30", 4'000'000'000);
  ASSERT_TRUE(calibration.save(dir.path() / "sub"));
  EXPECT_TRUE(std::filesystem::is_regular_file(dir.path() / "sub" / kCalibrationFileName));
  ASSERT_TRUE(calibration.save(dir.path()));
  EXPECT_EQ(dir.entries(), (std::vector<std::string>{kCalibrationFileName, "sub"}));  // no temporary left

  const LoadedCalibration reloaded = Calibration::load(dir.path() / "sub");
  EXPECT_EQ(reloaded.warning, "");
  const Calibration* loaded = &reloaded.calibration;
  ASSERT_EQ(loaded->entries().size(), 2u);
  const CalibrationEntry* a = loaded->find("inflate/r256/c0/d4/s0");
  ASSERT_NE(a, nullptr);
  const CalibrationEntry* original = calibration.find("inflate/r256/c0/d4/s0");
  EXPECT_EQ(a->count, 6u);
  EXPECT_DOUBLE_EQ(a->mean_bytes, original->mean_bytes);
  EXPECT_EQ(a->recent_bytes, original->recent_bytes);
  EXPECT_EQ(a->confidence(), Confidence::kHigh);
  EXPECT_EQ(loaded->find("hunyuan3d/r384/c8000/d2/s30")->oom_floor_bytes, 4'000'000'000u);
}

TEST(GpuCalibration, MissingFileLoadsEmptyWithoutAWarning) {
  const TempDir dir;
  const LoadedCalibration loaded = Calibration::load(dir.path());
  EXPECT_TRUE(loaded.calibration.entries().empty());
  EXPECT_EQ(loaded.warning, "");
  const LoadedCalibration no_dir = Calibration::load(dir.path() / "never-created");
  EXPECT_TRUE(no_dir.calibration.entries().empty());
  EXPECT_EQ(no_dir.warning, "");
}

constexpr const char* kGoodEntry =
    R"({"count": 2, "mean_bytes": 1e8, "variance_bytes2": 0, "recent_bytes": [1e8, 1e8], "oom_floor_bytes": 0})";

struct BadFile {
  const char* name;
  std::string text;
  const char* reason;  // expected in the warning
};

// Every file that does not load: empty calibration, one warning line naming the file and why,
// and the next save replaces it with a good one.
TEST(GpuCalibration, BadFilesLoadEmptyWithOneWarningLine) {
  const std::vector<BadFile> bad_files = {
      {"version 2 alone", R"({"version":2})", "version 2, this program reads version 1"},
      {"another version", R"({"version": 7, "entries": {}})", "version 7"},
      {"version as a string", R"({"version": "1", "entries": {}})", "\"version\" is \"1\", not a number"},
      {"no version", R"({"entries": {}})", "no \"version\""},
      {"no entries", R"({"version": 1})", "no \"entries\" object"},
      {"entries an array", R"({"version": 1, "entries": []})", "no \"entries\" object"},
      {"truncated", std::string(R"({"version": 1, "entries": {"k": )") + kGoodEntry, "not JSON (truncated?)"},
      {"empty", "", "not JSON"},
      {"binary", std::string("\x00\xff\x89PNG", 6), "not JSON"},
      {"an array", "[1, 2]", "not a JSON object"},
      {"negative count", R"({"version": 1, "entries": {"k": {"count": -1}}})", "entry \"k\" has no"},
      {"count a string",
       R"({"version": 1, "entries": {"k": {"count": "2", "mean_bytes": 1, "variance_bytes2": 0, "recent_bytes": [],
           "oom_floor_bytes": 0}}})",
       "entry \"k\" has a \"count\" that is not a count"},
      {"mean negative",
       R"({"version": 1, "entries": {"k": {"count": 2, "mean_bytes": -5, "variance_bytes2": 0, "recent_bytes": [],
           "oom_floor_bytes": 0}}})",
       "\"mean_bytes\" that is not a byte count"},
      {"recent a string",
       R"({"version": 1, "entries": {"k": {"count": 2, "mean_bytes": 5, "variance_bytes2": 0, "recent_bytes": ["x"],
           "oom_floor_bytes": 0}}})",
       "\"recent_bytes\" value that is not a byte count"},
      {"floor a float",
       R"({"version": 1, "entries": {"k": {"count": 2, "mean_bytes": 5, "variance_bytes2": 0, "recent_bytes": [],
           "oom_floor_bytes": 1.5}}})",
       "\"oom_floor_bytes\" that is not a byte count"},
      {"entry not an object", R"({"version": 1, "entries": {"k\nl": 3}})", "entry \"k\\nl\" is not an object"},
  };
  for (const BadFile& bad : bad_files) {
    SCOPED_TRACE(bad.name);
    const TempDir dir;
    const std::filesystem::path path = dir.path() / kCalibrationFileName;
    write_text(path, bad.text);
    const LoadedCalibration loaded = Calibration::load(dir.path());
    EXPECT_TRUE(loaded.calibration.entries().empty());
    EXPECT_NE(loaded.warning.find(path.string()), std::string::npos) << loaded.warning;
    EXPECT_NE(loaded.warning.find(bad.reason), std::string::npos) << loaded.warning;
    EXPECT_NE(loaded.warning.find("starting without measurements"), std::string::npos) << loaded.warning;
    EXPECT_EQ(loaded.warning.find('\n'), std::string::npos) << loaded.warning;
    EXPECT_FALSE(Calibration::from_json(bad.text));

    Calibration fresh = loaded.calibration;
    fresh.add("k", 1e8);
    ASSERT_TRUE(fresh.save(dir.path()));
    const LoadedCalibration replaced = Calibration::load(dir.path());
    EXPECT_EQ(replaced.warning, "");
    EXPECT_EQ(replaced.calibration.entries().size(), 1U);
  }
}

TEST(GpuCalibration, GoodEntryLoads) {
  const Result<Calibration> parsed =
      Calibration::from_json(std::string(R"({"version": 1, "entries": {"k": )") + kGoodEntry + "}}");
  ASSERT_TRUE(parsed) << parsed.error().message();
  ASSERT_NE(parsed->find("k"), nullptr);
  EXPECT_EQ(parsed->find("k")->count, 2U);
}

TEST(GpuCalibration, UnreadableFileLoadsEmptyWithAWarning) {
  const TempDir dir;
  std::filesystem::create_directory(dir.path() / kCalibrationFileName);  // a directory where the file goes
  const LoadedCalibration loaded = Calibration::load(dir.path());
  EXPECT_TRUE(loaded.calibration.entries().empty());
  EXPECT_NE(loaded.warning.find("not a regular file"), std::string::npos) << loaded.warning;
}

// Two optimizers in one process (the server) save the same file: each has its own temporary file.
TEST(GpuCalibration, ConcurrentSavesOfOneDirectoryAllSucceed) {
  const TempDir dir;
  std::vector<std::thread> savers;
  for (int t = 0; t < 4; ++t) {
    savers.emplace_back([&dir, t] {
      Calibration calibration;
      calibration.add(fmt::format("k{}", t), 1e8);
      for (int i = 0; i < 25; ++i) EXPECT_TRUE(calibration.save(dir.path()));
    });
  }
  for (std::thread& saver : savers) saver.join();
  const LoadedCalibration loaded = Calibration::load(dir.path());
  EXPECT_EQ(loaded.warning, "");
  EXPECT_EQ(loaded.calibration.entries().size(), 1U);
  EXPECT_EQ(dir.entries(), std::vector<std::string>{kCalibrationFileName});
}

TEST(GpuCalibration, UnwritableDirectoryIsAnIoError) {
  Calibration calibration;
  auto saved = calibration.save("/proc/orfeas-cannot-write-here");
  ASSERT_FALSE(saved);
  EXPECT_EQ(saved.error().code(), ErrorCode::kIoError);
}

}  // namespace
}  // namespace orfeas::gpu
