#include "orfeas/service/request_params.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <system_error>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "orfeas/shape/shape_backend.h"

namespace orfeas::service {
namespace {

constexpr std::array<std::string_view, 5> kFormats = {"stl", "glb", "obj", "ply", "3mf"};
constexpr std::array<std::string_view, 8> kKnownFields = {"format", "resolution", "quality", "size_mm",
                                                          "faces",  "backend",    "device",  "priority"};
constexpr long long kMaxFaces = 100'000'000;

Error invalid_field(std::string_view field, std::string_view why) {
  return Error(ErrorCode::kInvalidArgument, fmt::format("parameter \"{}\": {}", field, why));
}

// What a client sent, quoted and shortened, for an error message.
std::string shown_value(std::string_view text) {
  constexpr std::size_t kShown = 40;
  std::string shown(text.substr(0, kShown));
  for (char& c : shown)
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = '?';
  return "\"" + shown + (text.size() > kShown ? "…\"" : "\"");
}

bool valid_device(std::string_view device) {
  if (device == "auto" || device == "cpu" || device == "cuda") return true;
  if (device.rfind("cuda:", 0) != 0 || device.size() == 5 || device.size() > 8) return false;
  return std::all_of(device.begin() + 5, device.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

Result<long long> parse_integer_field(std::string_view field, std::string_view text, long long min, long long max) {
  long long value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size())
    return tl::unexpected(invalid_field(field, shown_value(text) + " is not a whole number"));
  if (value < min || value > max)
    return tl::unexpected(invalid_field(field, fmt::format("{} is outside {}..{}", value, min, max)));
  return value;
}

Result<double> parse_number_field(std::string_view field, std::string_view text, double min, double max) {
  double value = 0.0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value))
    return tl::unexpected(invalid_field(field, shown_value(text) + " is not a number"));
  if (value < min || value > max)
    return tl::unexpected(invalid_field(field, fmt::format("{} is outside {}..{}", value, min, max)));
  return value;
}

Result<int> resolution_for_quality(int quality) {
  if (quality < 1 || quality > static_cast<int>(kQualityResolutions.size()))
    return tl::unexpected(invalid_field("quality", fmt::format("{} is outside 1..10", quality)));
  return kQualityResolutions[static_cast<std::size_t>(quality - 1)];
}

Result<ParamFields> merge_param_fields(const ParamFields& query, const ParamFields& form) {
  ParamFields merged = query;
  for (const auto& [name, value] : form) {
    const auto [it, inserted] = merged.emplace(name, value);
    if (!inserted && it->second != value)
      return tl::unexpected(invalid_field(name, "given in the query and the form with different values"));
  }
  return merged;
}

Result<JobRequestParams> parse_job_params(const ParamFields& fields, std::initializer_list<std::string_view> ignored) {
  JobRequestParams out;
  jobs::GenerationParams& p = out.params;
  for (const auto& [name, value] : fields) {
    if (std::find(ignored.begin(), ignored.end(), name) != ignored.end()) continue;
    if (std::find(kKnownFields.begin(), kKnownFields.end(), name) == kKnownFields.end())
      return tl::unexpected(invalid_field(
          name, "unknown; the parameters are format, resolution, quality, size_mm, faces, backend, device, priority"));
  }
  if (fields.count("resolution") != 0 && fields.count("quality") != 0)
    return tl::unexpected(invalid_field("quality", "give resolution or quality, not both"));

  if (const auto it = fields.find("format"); it != fields.end()) {
    if (std::find(kFormats.begin(), kFormats.end(), it->second) == kFormats.end())
      return tl::unexpected(
          invalid_field("format", shown_value(it->second) + " is not one of stl, glb, obj, ply, 3mf"));
    p.format = it->second;
  }
  if (const auto it = fields.find("resolution"); it != fields.end()) {
    ORFEAS_ASSIGN_OR_RETURN(const long long resolution,
                            parse_integer_field("resolution", it->second, kMinResolution, kMaxResolution));
    p.resolution = static_cast<int>(resolution);
  }
  if (const auto it = fields.find("quality"); it != fields.end()) {
    ORFEAS_ASSIGN_OR_RETURN(const long long quality, parse_integer_field("quality", it->second, 1, 10));
    ORFEAS_ASSIGN_OR_RETURN(p.resolution, resolution_for_quality(static_cast<int>(quality)));
  }
  if (const auto it = fields.find("size_mm"); it != fields.end()) {
    ORFEAS_ASSIGN_OR_RETURN(p.size_mm, parse_number_field("size_mm", it->second, 0.01, 100000.0));
  }
  if (const auto it = fields.find("faces"); it != fields.end()) {
    ORFEAS_ASSIGN_OR_RETURN(p.faces, parse_integer_field("faces", it->second, 0, kMaxFaces));
  }
  if (const auto it = fields.find("backend"); it != fields.end()) {
    const std::vector<std::string> names = shape::shape_backend_names();
    if (std::find(names.begin(), names.end(), it->second) == names.end())
      return tl::unexpected(invalid_field(
          "backend", shown_value(it->second) + " is not one of " + fmt::format("{}", fmt::join(names, ", "))));
    p.backend = it->second;
  }
  if (const auto it = fields.find("device"); it != fields.end()) {
    if (!valid_device(it->second))
      return tl::unexpected(invalid_field("device", shown_value(it->second) + " is not auto, cpu, cuda or cuda:N"));
    p.device = it->second;
  }
  if (const auto it = fields.find("priority"); it != fields.end()) {
    ORFEAS_ASSIGN_OR_RETURN(const long long priority,
                            parse_integer_field("priority", it->second, kMinPriority, kMaxPriority));
    out.priority = static_cast<int>(priority);
  }
  return out;
}

}  // namespace orfeas::service
