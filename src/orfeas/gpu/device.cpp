#include "orfeas/gpu/device.h"

#include <charconv>

namespace orfeas::gpu {

Result<DeviceSpec> parse_device(std::string_view text) {
  if (text == "cpu") return DeviceSpec{DeviceKind::kCpu, 0};
  if (text == "cuda") return DeviceSpec{DeviceKind::kCuda, 0};
  if (text.starts_with("cuda:")) {
    const std::string_view number = text.substr(5);
    int ordinal = -1;
    const auto [end, error] = std::from_chars(number.data(), number.data() + number.size(), ordinal);
    if (error == std::errc() && end == number.data() + number.size() && !number.empty() && ordinal >= 0) {
      return DeviceSpec{DeviceKind::kCuda, ordinal};
    }
  }
  return make_error(ErrorCode::kInvalidArgument,
                    "unknown device '" + std::string(text) + "' (expected cpu, cuda or cuda:N)");
}

std::string device_name(const DeviceSpec& spec) {
  return spec.kind == DeviceKind::kCpu ? "cpu" : "cuda:" + std::to_string(spec.ordinal);
}

}  // namespace orfeas::gpu
