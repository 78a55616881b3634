// Measured per-item memory peaks per job configuration, replacing the memory model's estimate as
// jobs run, and kept on disk so a restart starts from what this machine has seen.
//
// Per key (config_key(), e.g. "inflate/r256/c0/d4/s0"): an exponentially weighted mean and
// variance of the per-item peak (weight 0.25 for the newest measurement), the last 5 values, and a
// floor raised by out-of-memory events. The estimate used for sizing is mean + 2·stddev, never
// below the floor. Confidence: high once ≥ 5 measurements were taken and the last 5 all lie within
// 10 % of their average; medium with any measurement; low for the model alone.
//
// File: <dir>/gpu_calibration.json, {"version": 1, "entries": {key: {"count", "mean_bytes",
// "variance_bytes2", "recent_bytes": [...], "oom_floor_bytes"}}}, written through AtomicFile
// (core/atomic_file.h: a temporary name unique per writer, fsync, rename), so a crash leaves the
// old file or the new one and two optimizers saving at once never mix their files.
//
// The file is only a cache of measurements: one that does not load (truncated, another version,
// wrong types, unreadable) never blocks a run. load() returns an empty calibration with a one-line
// warning for the caller to print once, and the next save() replaces the file.
//
// Thread-safety: none; GpuOptimizer guards its Calibration with its mutex.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "orfeas/core/status.h"

namespace orfeas::gpu {

enum class Confidence { kLow, kMedium, kHigh };
[[nodiscard]] std::string_view confidence_name(Confidence confidence);  // "low", "medium", "high"

inline constexpr std::size_t kCalibrationAgreeCount = 5;
inline constexpr double kCalibrationAgreeTolerance = 0.10;
inline constexpr double kCalibrationWeight = 0.25;
inline constexpr const char* kCalibrationFileName = "gpu_calibration.json";

struct CalibrationEntry {
  std::uint64_t count = 0;            // measurements, ever
  double mean_bytes = 0;              // per item, exponentially weighted
  double variance_bytes2 = 0;         // per item, exponentially weighted
  std::deque<double> recent_bytes;    // the last kCalibrationAgreeCount per-item peaks
  std::uint64_t oom_floor_bytes = 0;  // per item; raised after an out-of-memory failure

  [[nodiscard]] Confidence confidence() const;
  // mean + 2·stddev, at least the floor; 0 without measurements or floor.
  [[nodiscard]] std::uint64_t sizing_bytes() const;
};

struct LoadedCalibration;

class Calibration {
 public:
  void add(const std::string& key, double per_item_bytes);
  void raise_floor(const std::string& key, std::uint64_t per_item_bytes);
  [[nodiscard]] const CalibrationEntry* find(const std::string& key) const;
  [[nodiscard]] const std::map<std::string, CalibrationEntry>& entries() const { return entries_; }

  [[nodiscard]] std::string to_json() const;
  // kCorruptData, saying what is wrong, when the text is not a version-1 calibration file: not
  // JSON, another version, a field missing or of the wrong type, a negative or absurd byte count.
  [[nodiscard]] static Result<Calibration> from_json(const std::string& text);

  // <dir>/gpu_calibration.json. Never fails: a missing file loads as empty without a warning; a
  // file that cannot be read or parsed loads as empty with a warning.
  [[nodiscard]] static LoadedCalibration load(const std::filesystem::path& dir);
  // Creates <dir> if needed; atomic (temporary file, fsync, rename). kIoError.
  [[nodiscard]] Status save(const std::filesystem::path& dir) const;

 private:
  std::map<std::string, CalibrationEntry> entries_;
};

struct LoadedCalibration {
  Calibration calibration;  // empty when the file was absent or did not load
  // One line, no trailing newline, naming the file and why it was ignored ("ignoring GPU
  // calibration /d/gpu_calibration.json: ...; starting without measurements"); empty when none.
  std::string warning;
};

}  // namespace orfeas::gpu
