#include "orfeas/gpu/calibration.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iterator>
#include <string_view>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "orfeas/core/atomic_file.h"

namespace orfeas::gpu {

std::string_view confidence_name(Confidence confidence) {
  switch (confidence) {
    case Confidence::kLow:
      return "low";
    case Confidence::kMedium:
      return "medium";
    case Confidence::kHigh:
      return "high";
  }
  return "low";
}

Confidence CalibrationEntry::confidence() const {
  if (count == 0) return Confidence::kLow;
  if (count < kCalibrationAgreeCount || recent_bytes.size() < kCalibrationAgreeCount) return Confidence::kMedium;
  double sum = 0;
  for (const double value : recent_bytes) sum += value;
  const double average = sum / static_cast<double>(recent_bytes.size());
  const bool agree = std::all_of(recent_bytes.begin(), recent_bytes.end(), [average](double value) {
    return std::abs(value - average) <= kCalibrationAgreeTolerance * average;
  });
  return agree ? Confidence::kHigh : Confidence::kMedium;
}

std::uint64_t CalibrationEntry::sizing_bytes() const {
  double bytes = 0;
  if (count > 0) bytes = mean_bytes + 2.0 * std::sqrt(std::max(variance_bytes2, 0.0));
  return std::max(static_cast<std::uint64_t>(std::ceil(bytes)), oom_floor_bytes);
}

void Calibration::add(const std::string& key, double per_item_bytes) {
  CalibrationEntry& entry = entries_[key];
  if (entry.count == 0) {
    entry.mean_bytes = per_item_bytes;
    entry.variance_bytes2 = 0;
  } else {
    const double diff = per_item_bytes - entry.mean_bytes;
    const double increment = kCalibrationWeight * diff;
    entry.mean_bytes += increment;
    entry.variance_bytes2 = (1.0 - kCalibrationWeight) * (entry.variance_bytes2 + diff * increment);
  }
  ++entry.count;
  entry.recent_bytes.push_back(per_item_bytes);
  while (entry.recent_bytes.size() > kCalibrationAgreeCount) entry.recent_bytes.pop_front();
}

void Calibration::raise_floor(const std::string& key, std::uint64_t per_item_bytes) {
  CalibrationEntry& entry = entries_[key];
  entry.oom_floor_bytes = std::max(entry.oom_floor_bytes, per_item_bytes);
}

const CalibrationEntry* Calibration::find(const std::string& key) const {
  const auto it = entries_.find(key);
  return it == entries_.end() ? nullptr : &it->second;
}

std::string Calibration::to_json() const {
  nlohmann::json entries = nlohmann::json::object();
  for (const auto& [key, entry] : entries_) {
    entries[key] = {{"count", entry.count},
                    {"mean_bytes", entry.mean_bytes},
                    {"variance_bytes2", entry.variance_bytes2},
                    {"recent_bytes", entry.recent_bytes},
                    {"oom_floor_bytes", entry.oom_floor_bytes}};
  }
  return nlohmann::json{{"version", 1}, {"entries", entries}}.dump(2) + "\n";
}

namespace {

// Larger than any device's memory: a byte count beyond it is not a measurement.
constexpr double kMaxPlausibleBytes = 1e18;

bool is_byte_count(const nlohmann::json& value) {
  return value.is_number() && value.get<double>() >= 0 && value.get<double>() <= kMaxPlausibleBytes;
}

tl::unexpected<Error> corrupt(std::string message) {
  return make_error(ErrorCode::kCorruptData, std::move(message));
}

Result<CalibrationEntry> entry_from_json(const std::string& key, const nlohmann::json& value) {
  const auto malformed = [&key](std::string_view why) {
    return corrupt(fmt::format("entry {} {}", nlohmann::json(key).dump(), why));  // quoted, escaped
  };
  if (!value.is_object()) return malformed("is not an object");
  for (const char* field : {"count", "mean_bytes", "variance_bytes2", "recent_bytes", "oom_floor_bytes"}) {
    if (!value.contains(field)) return malformed(fmt::format("has no \"{}\"", field));
  }
  if (!value["count"].is_number_unsigned()) return malformed("has a \"count\" that is not a count");
  if (!value["oom_floor_bytes"].is_number_unsigned() || !is_byte_count(value["oom_floor_bytes"])) {
    return malformed("has an \"oom_floor_bytes\" that is not a byte count");
  }
  if (!is_byte_count(value["mean_bytes"])) return malformed("has a \"mean_bytes\" that is not a byte count");
  const nlohmann::json& variance = value["variance_bytes2"];  // in bytes²: only type and sign checked
  if (!variance.is_number() || variance.get<double>() < 0 ||
      variance.get<double>() > kMaxPlausibleBytes * kMaxPlausibleBytes) {
    return malformed("has a \"variance_bytes2\" that is not a non-negative number");
  }
  if (!value["recent_bytes"].is_array()) return malformed("has a \"recent_bytes\" that is not an array");
  CalibrationEntry entry;
  for (const auto& recent : value["recent_bytes"]) {
    if (!is_byte_count(recent)) return malformed("has a \"recent_bytes\" value that is not a byte count");
    entry.recent_bytes.push_back(recent.get<double>());
  }
  while (entry.recent_bytes.size() > kCalibrationAgreeCount) entry.recent_bytes.pop_front();
  entry.count = value["count"].get<std::uint64_t>();
  entry.mean_bytes = value["mean_bytes"].get<double>();
  entry.variance_bytes2 = value["variance_bytes2"].get<double>();
  entry.oom_floor_bytes = value["oom_floor_bytes"].get<std::uint64_t>();
  return entry;
}

}  // namespace

Result<Calibration> Calibration::from_json(const std::string& text) {
  const nlohmann::json root = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) return corrupt("not JSON (truncated?)");
  if (!root.is_object()) return corrupt("not a JSON object");
  if (!root.contains("version")) return corrupt("no \"version\"");
  const nlohmann::json& version = root["version"];
  if (!version.is_number_integer()) return corrupt(fmt::format("\"version\" is {}, not a number", version.dump()));
  if (version.get<std::int64_t>() != 1) {
    return corrupt(fmt::format("version {}, this program reads version 1", version.get<std::int64_t>()));
  }
  if (!root.contains("entries") || !root["entries"].is_object()) return corrupt("no \"entries\" object");
  Calibration calibration;
  for (const auto& [key, value] : root["entries"].items()) {
    ORFEAS_ASSIGN_OR_RETURN(CalibrationEntry entry, entry_from_json(key, value));
    calibration.entries_.emplace(key, std::move(entry));
  }
  return calibration;
}

LoadedCalibration Calibration::load(const std::filesystem::path& dir) {
  const std::filesystem::path path = dir / kCalibrationFileName;
  const auto ignored = [&path](std::string_view why) {
    return LoadedCalibration{
        .calibration = {},
        .warning = fmt::format("ignoring GPU calibration {}: {}; starting without measurements", path.string(), why)};
  };
  std::error_code error;
  const std::filesystem::file_status status = std::filesystem::status(path, error);
  if (status.type() == std::filesystem::file_type::not_found) return {};
  if (error) return ignored(error.message());
  if (status.type() != std::filesystem::file_type::regular) return ignored("not a regular file");
  std::ifstream in(path, std::ios::binary);
  if (!in) return ignored("cannot be opened");
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (in.bad()) return ignored("cannot be read");
  Result<Calibration> calibration = from_json(text);
  if (!calibration) return ignored(calibration.error().message());
  return LoadedCalibration{.calibration = std::move(*calibration), .warning = {}};
}

Status Calibration::save(const std::filesystem::path& dir) const {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) return make_error(ErrorCode::kIoError, fmt::format("cannot create {}: {}", dir.string(), error.message()));
  return write_file_atomically(dir / kCalibrationFileName, to_json());
}

}  // namespace orfeas::gpu
