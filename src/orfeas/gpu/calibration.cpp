#include "orfeas/gpu/calibration.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

namespace orfeas::gpu {

std::string_view confidence_name(Confidence confidence) {
  switch (confidence) {
    case Confidence::kLow: return "low";
    case Confidence::kMedium: return "medium";
    case Confidence::kHigh: return "high";
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

Result<Calibration> Calibration::from_json(const std::string& text) {
  const nlohmann::json root = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded() || !root.is_object() || root.value("version", 0) != 1 || !root.contains("entries") ||
      !root["entries"].is_object()) {
    return make_error(ErrorCode::kCorruptData, "not a version-1 GPU calibration file");
  }
  Calibration calibration;
  for (const auto& [key, value] : root["entries"].items()) {
    const bool valid = value.is_object() && value.contains("count") && value["count"].is_number_unsigned() &&
                       value.contains("mean_bytes") && value["mean_bytes"].is_number() &&
                       value.contains("variance_bytes2") && value["variance_bytes2"].is_number() &&
                       value.contains("recent_bytes") && value["recent_bytes"].is_array() &&
                       value.contains("oom_floor_bytes") && value["oom_floor_bytes"].is_number_unsigned();
    if (!valid) return make_error(ErrorCode::kCorruptData, "GPU calibration entry \"" + key + "\" is malformed");
    CalibrationEntry entry;
    entry.count = value["count"].get<std::uint64_t>();
    entry.mean_bytes = value["mean_bytes"].get<double>();
    entry.variance_bytes2 = value["variance_bytes2"].get<double>();
    for (const auto& recent : value["recent_bytes"]) {
      if (!recent.is_number()) return make_error(ErrorCode::kCorruptData, "GPU calibration entry \"" + key + "\" is malformed");
      entry.recent_bytes.push_back(recent.get<double>());
    }
    while (entry.recent_bytes.size() > kCalibrationAgreeCount) entry.recent_bytes.pop_front();
    entry.oom_floor_bytes = value["oom_floor_bytes"].get<std::uint64_t>();
    calibration.entries_.emplace(key, std::move(entry));
  }
  return calibration;
}

Result<Calibration> Calibration::load(const std::filesystem::path& dir) {
  const std::filesystem::path path = dir / kCalibrationFileName;
  std::error_code error;
  if (!std::filesystem::exists(path, error)) return Calibration{};
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(ErrorCode::kIoError, "cannot open " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  auto calibration = from_json(text.str());
  if (!calibration) return tl::unexpected(calibration.error().with_context("while loading " + path.string()));
  return calibration;
}

Status Calibration::save(const std::filesystem::path& dir) const {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) return make_error(ErrorCode::kIoError, "cannot create " + dir.string() + ": " + error.message());
  const std::filesystem::path target = dir / kCalibrationFileName;
  const std::filesystem::path temporary = dir / (std::string(".") + kCalibrationFileName + ".tmp" + std::to_string(getpid()));
  const std::string text = to_json();
  const auto fail = [&](const std::string& what) {
    const std::string message = what + " " + temporary.string() + ": " + std::strerror(errno);
    ::unlink(temporary.c_str());
    return make_error(ErrorCode::kIoError, message);
  };
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return fail("cannot create");
  std::size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      return fail("cannot write");
    }
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    ::close(fd);
    return fail("cannot fsync");
  }
  if (::close(fd) != 0) return fail("cannot close");
  if (::rename(temporary.c_str(), target.c_str()) != 0) return fail("cannot rename");
  return ok();
}

}  // namespace orfeas::gpu
