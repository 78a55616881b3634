// Needs an NVIDIA GPU and driver (label gpu); fails, never skips, without one.
// NVML's memory figures must agree with nvidia-smi's (both read the driver; 1 % slack for
// allocations by other processes between the two reads), board by board (matched by UUID: the
// probe numbers devices as CUDA does, nvidia-smi in PCI order); and reading i must be CUDA
// device i.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "orfeas/gpu/cuda_runtime.h"
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

  const std::string smi = run("nvidia-smi --query-gpu=uuid,memory.total,memory.used --format=csv,noheader,nounits");
  ASSERT_FALSE(smi.empty()) << "nvidia-smi gave no output";
  std::istringstream lines(smi);
  std::string line;
  std::size_t index = 0;
  while (std::getline(lines, line)) {
    char uuid[128] = {};
    double total_mib = 0;
    double used_mib = 0;
    ASSERT_EQ(std::sscanf(line.c_str(), "%127[^,], %lf, %lf", uuid, &total_mib, &used_mib), 3) << line;
    const auto found =
        std::find_if(readings->begin(), readings->end(), [&](const DeviceReading& r) { return r.uuid == uuid; });
    if (found == readings->end()) continue;  // a board this process's CUDA does not see
    const DeviceReading& d = *found;
    const double total = static_cast<double>(d.total_bytes) / (1 << 20);
    const double used = static_cast<double>(d.used_bytes) / (1 << 20);
    std::printf(
        "GPU %zu %s: NVML total %.0f used %.0f MiB; nvidia-smi total %.0f used %.0f MiB; busy %s %%, "
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
  EXPECT_EQ(index, readings->size()) << "nvidia-smi did not list every board the probe read:\n" << smi;
}

TEST(GpuDeviceNvml, ReadingNIsCudaDeviceN) {
  auto identities = cuda_device_identities();
  ASSERT_TRUE(identities) << identities.error().message();
  ASSERT_FALSE(identities->empty()) << "no CUDA device visible";
  auto probe = NvmlProbe::create();
  ASSERT_TRUE(probe) << probe.error().message();
  auto readings = (*probe)->read();
  ASSERT_TRUE(readings) << readings.error().message();
  ASSERT_EQ(readings->size(), identities->size()) << "every CUDA device has its NVML reading";
  for (std::size_t i = 0; i < readings->size(); ++i) {
    const DeviceReading& reading = (*readings)[i];
    const CudaDeviceIdentity& cuda = (*identities)[i];
    SCOPED_TRACE("CUDA device " + std::to_string(i) + " " + cuda.uuid + " " + cuda.pci_bus_id);
    EXPECT_EQ(reading.index, static_cast<std::uint32_t>(cuda.ordinal));
    if (cuda.uuid.rfind("GPU-", 0) == 0) {
      EXPECT_EQ(reading.uuid, cuda.uuid);
    }
    EXPECT_EQ(reading.pci_bus_id, normalize_pci_bus_id(cuda.pci_bus_id));
    // cudaMemGetInfo's total leaves out what the driver reserves: a few percent below NVML's.
    auto info = cuda_memory_info(cuda.ordinal);
    ASSERT_TRUE(info) << info.error().message();
    EXPECT_LE(info->total_bytes, reading.total_bytes);
    EXPECT_GT(static_cast<double>(info->total_bytes), 0.9 * static_cast<double>(reading.total_bytes));
    std::printf("CUDA %d = NVML %u: %s %s, NVML total %llu MiB, CUDA total %llu MiB\n", cuda.ordinal,
                reading.nvml_index, reading.uuid.c_str(), reading.pci_bus_id.c_str(),
                static_cast<unsigned long long>(reading.total_bytes >> 20),
                static_cast<unsigned long long>(info->total_bytes >> 20));
  }
}

}  // namespace
}  // namespace orfeas::gpu
