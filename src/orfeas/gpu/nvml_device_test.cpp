// Needs an NVIDIA GPU and driver (label gpu); fails, never skips, without one.
// NVML's memory figures must agree with nvidia-smi's (both read the driver; 1 % slack for
// allocations by other processes between the two reads).
#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "orfeas/gpu/nvml_probe.h"

namespace orfeas::gpu {
namespace {

std::string run(const char* command) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command, "r"), pclose);
  if (pipe == nullptr) return {};
  std::string out;
  char buffer[256];
  while (std::fgets(buffer, sizeof buffer, pipe.get()) != nullptr) out += buffer;
  return out;
}

TEST(GpuDeviceNvml, ReadingsAgreeWithNvidiaSmi) {
  auto probe = NvmlProbe::create();
  ASSERT_TRUE(probe) << probe.error().message();
  auto readings = (*probe)->read();
  ASSERT_TRUE(readings) << readings.error().message();
  ASSERT_FALSE(readings->empty());

  const std::string smi = run("nvidia-smi --query-gpu=memory.total,memory.used --format=csv,noheader,nounits");
  ASSERT_FALSE(smi.empty()) << "nvidia-smi gave no output";
  std::istringstream lines(smi);
  std::string line;
  std::size_t index = 0;
  while (std::getline(lines, line) && index < readings->size()) {
    double total_mib = 0;
    double used_mib = 0;
    ASSERT_EQ(std::sscanf(line.c_str(), "%lf, %lf", &total_mib, &used_mib), 2) << line;
    const DeviceReading& d = (*readings)[index];
    const double total = static_cast<double>(d.total_bytes) / (1 << 20);
    const double used = static_cast<double>(d.used_bytes) / (1 << 20);
    std::printf("GPU %zu %s: NVML total %.0f used %.0f MiB; nvidia-smi total %.0f used %.0f MiB; busy %s %%, "
                "memory busy %s %%, %s °C, %s W of %s W, %zu processes\n",
                index, d.name.c_str(), total, used, total_mib, used_mib,
                d.compute_busy_percent ? std::to_string(*d.compute_busy_percent).c_str() : "n/a",
                d.memory_busy_percent ? std::to_string(*d.memory_busy_percent).c_str() : "n/a",
                d.temperature_c ? std::to_string(*d.temperature_c).c_str() : "n/a",
                d.power_w ? std::to_string(*d.power_w).c_str() : "n/a",
                d.power_limit_w ? std::to_string(*d.power_limit_w).c_str() : "n/a", d.processes.size());
    EXPECT_NEAR(total, total_mib, 0.01 * total_mib);
    EXPECT_NEAR(used, used_mib, 0.01 * total_mib);  // 1 % of the card
    EXPECT_EQ(d.total_bytes, d.used_bytes + d.free_bytes) << "v1 memory info: total = used + free";
    EXPECT_FALSE(d.name.empty());
    EXPECT_EQ(d.uuid.rfind("GPU-", 0), 0u) << d.uuid;
    EXPECT_TRUE(d.compute_busy_percent.has_value()) << "datacenter GPUs report utilisation";
    ++index;
  }
  EXPECT_EQ(index, readings->size()) << "nvidia-smi listed fewer GPUs than NVML:\n" << smi;
}

}  // namespace
}  // namespace orfeas::gpu
