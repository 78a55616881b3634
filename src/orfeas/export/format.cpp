#include "orfeas/export/format.h"

#include <array>
#include <string>

#include <fmt/format.h>

#include "orfeas/export/threemf.h"

namespace orfeas::exporter {
namespace {

constexpr std::array kFormats = {Format::kStl, Format::kGlb, Format::kObj, Format::kPly, Format::k3mf};

// ASCII only: format names are ASCII and the C locale must not matter.
bool equals_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

const Format* find_format(std::string_view name) {
  for (const Format& format : kFormats) {
    if (equals_ignoring_case(format_name(format), name)) return &format;
  }
  return nullptr;
}

}  // namespace

bool is_print_format(Format format) {
  return format == Format::kStl || format == Format::k3mf;
}

std::string_view format_name(Format format) {
  switch (format) {
    case Format::kStl:
      return "stl";
    case Format::kGlb:
      return "glb";
    case Format::kObj:
      return "obj";
    case Format::kPly:
      return "ply";
    case Format::k3mf:
      return "3mf";
  }
  return "unknown";
}

Result<Format> format_from_path(const std::filesystem::path& path) {
  const std::string extension = path.extension().string();
  if (extension.size() > 1) {
    if (const Format* format = find_format(std::string_view(extension).substr(1))) return *format;
  }
  if (extension.empty()) {
    return make_error(
        ErrorCode::kUnsupportedFormat,
        fmt::format("output path '{}' has no extension (expected .stl, .glb, .obj, .ply or .3mf)", path.string()));
  }
  return make_error(ErrorCode::kUnsupportedFormat,
                    fmt::format("unknown output extension '{}' (expected .stl, .glb, .obj, .ply or .3mf)", extension));
}

Result<Format> parse_format(std::string_view name) {
  if (const Format* format = find_format(name)) return *format;
  return make_error(ErrorCode::kUnsupportedFormat,
                    fmt::format("unknown output format '{}' (expected stl, glb, obj, ply or 3mf)", name));
}

Status format_available(Format format) {
  if (format == Format::k3mf && !threemf_available()) {
    return make_error(ErrorCode::kUnavailable, "this build has no 3MF support (install lib3mf-dev and rebuild)");
  }
  return ok();
}

}  // namespace orfeas::exporter
