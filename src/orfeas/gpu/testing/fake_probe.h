// A DeviceProbe with scripted readings, for the gpu module's tests (compiled into the test
// executables only).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "orfeas/gpu/device_probe.h"

namespace orfeas::gpu::fake {

// Returns `readings` (or `error`, when set) on every read().
class FakeProbe final : public DeviceProbe {
 public:
  std::vector<DeviceReading> readings;
  std::optional<Error> error;
  int reads = 0;

  [[nodiscard]] Result<std::vector<DeviceReading>> read() override;
  [[nodiscard]] std::string_view source() const override { return "fake"; }
};

// One device: `total` bytes of which `free` are free, busy `busy_percent` of the time.
[[nodiscard]] DeviceReading device(std::uint64_t total, std::uint64_t free, std::uint32_t busy_percent = 90);

}  // namespace orfeas::gpu::fake
