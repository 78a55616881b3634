#include "orfeas/gpu/calibration.h"

#include <gtest/gtest.h>

#include <fstream>
#include <random>

#include "orfeas/testing/temp_dir.h"

namespace orfeas::gpu {
namespace {

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
  const ::orfeas::testing::TempDir dir;
  Calibration calibration;
  for (int i = 0; i < 6; ++i) calibration.add("inflate/r256/c0/d4/s0", 150e6 + i);
  calibration.raise_floor("hunyuan3d/r384/c8000/d2/s30", 4'000'000'000);
  ASSERT_TRUE(calibration.save(dir.path() / "sub"));
  EXPECT_TRUE(std::filesystem::is_regular_file(dir.path() / "sub" / kCalibrationFileName));
  ASSERT_TRUE(calibration.save(dir.path()));
  EXPECT_EQ(dir.entries(), (std::vector<std::string>{kCalibrationFileName, "sub"}));  // no temporary left

  auto loaded = Calibration::load(dir.path() / "sub");
  ASSERT_TRUE(loaded) << loaded.error().message();
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

TEST(GpuCalibration, MissingFileIsEmptyAndGarbageIsCorrupt) {
  const ::orfeas::testing::TempDir dir;
  auto empty = Calibration::load(dir.path());
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->entries().empty());
  std::ofstream(dir.path() / kCalibrationFileName) << "{\"version\": 1, \"entries\": {\"k\": {\"count\": -1}}}";
  auto corrupt = Calibration::load(dir.path());
  ASSERT_FALSE(corrupt);
  EXPECT_EQ(corrupt.error().code(), ErrorCode::kCorruptData);
  EXPECT_FALSE(Calibration::from_json("not json"));
}

TEST(GpuCalibration, UnwritableDirectoryIsAnIoError) {
  Calibration calibration;
  auto saved = calibration.save("/proc/orfeas-cannot-write-here");
  ASSERT_FALSE(saved);
  EXPECT_EQ(saved.error().code(), ErrorCode::kIoError);
}

}  // namespace
}  // namespace orfeas::gpu
