#include "orfeas/gpu/testing/fake_probe.h"

namespace orfeas::gpu::fake {

Result<std::vector<DeviceReading>> FakeProbe::read() {
  ++reads;
  if (error) return tl::unexpected(*error);
  return readings;
}

DeviceReading device(std::uint64_t total, std::uint64_t free, std::uint32_t busy_percent) {
  DeviceReading reading;
  reading.name = "Fake GPU";
  reading.total_bytes = total;
  reading.free_bytes = free;
  reading.used_bytes = total - free;
  reading.compute_busy_percent = busy_percent;
  reading.memory_busy_percent = busy_percent / 2;
  return reading;
}

}  // namespace orfeas::gpu::fake
