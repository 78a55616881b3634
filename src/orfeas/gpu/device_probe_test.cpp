#include "orfeas/gpu/device_probe.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "orfeas/gpu/nvml_probe.h"

namespace orfeas::gpu {
namespace {

TEST(GpuSystemMemory, ParsesMeminfo) {
  const SystemMemory m = parse_meminfo(
      "MemTotal:       16318436 kB\nMemFree:         1000000 kB\nMemAvailable:   12000000 kB\nBuffers: 1 kB\n");
  EXPECT_EQ(m.total_bytes, 16318436ULL * 1024);
  EXPECT_EQ(m.available_bytes, 12000000ULL * 1024);
  const SystemMemory empty = parse_meminfo("garbage");
  EXPECT_EQ(empty.total_bytes, 0u);
  EXPECT_EQ(empty.available_bytes, 0u);
}

TEST(GpuSystemMemory, ReadingIsPlausibleAndMatchesSysconf) {
  const SystemMemory m = read_system_memory();
  EXPECT_GT(m.total_bytes, m.available_bytes);
  EXPECT_GT(m.available_bytes, 0u);
  const auto pages = static_cast<std::uint64_t>(sysconf(_SC_PHYS_PAGES));
  const auto page = static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
  const double sysconf_total = static_cast<double>(pages * page);
  EXPECT_NEAR(static_cast<double>(m.total_bytes), sysconf_total, 0.001 * sysconf_total);
}

TEST(GpuProcessName, ReadsOwnCommAndIsEmptyForMissingPid) {
  EXPECT_FALSE(process_name(static_cast<std::uint32_t>(getpid())).empty());
  EXPECT_EQ(process_name(999999999U), "");
}

TEST(GpuNvmlProbe, MissingLibraryIsUnavailable) {
  auto probe = NvmlProbe::create({.library = "libnvidia-ml-does-not-exist.so.1"});
  ASSERT_FALSE(probe);
  EXPECT_EQ(probe.error().code(), ErrorCode::kUnavailable);
  EXPECT_NE(probe.error().message().find("libnvidia-ml-does-not-exist.so.1"), std::string::npos);
}

TEST(GpuNvmlProbe, ThisMachineGivesUnavailableOrReadings) {
  auto probe = NvmlProbe::create();
  if (!probe) {
    EXPECT_EQ(probe.error().code(), ErrorCode::kUnavailable) << probe.error().message();
    EXPECT_FALSE(probe.error().message().empty());
    return;
  }
  auto readings = (*probe)->read();  // a GPU machine: the readings must work
  ASSERT_TRUE(readings) << readings.error().message();
  EXPECT_FALSE(readings->empty());
}

TEST(GpuNvmlProbe, ReadsEveryFieldFromTheCAbi) {
  auto probe = NvmlProbe::create({.library = ORFEAS_FAKE_NVML_PATH});
  ASSERT_TRUE(probe) << probe.error().message();
  EXPECT_EQ((*probe)->source(), "nvml");
  auto readings = (*probe)->read();
  ASSERT_TRUE(readings) << readings.error().message();
  ASSERT_EQ(readings->size(), 2u);
  const DeviceReading& d0 = (*readings)[0];
  EXPECT_EQ(d0.index, 0u);
  EXPECT_EQ(d0.name, "Fake H100");
  EXPECT_EQ(d0.uuid, "GPU-fake-0");
  EXPECT_EQ(d0.total_bytes, 80ULL << 30);
  EXPECT_EQ(d0.free_bytes, 60ULL << 30);
  EXPECT_EQ(d0.used_bytes, 20ULL << 30);
  EXPECT_EQ(d0.compute_busy_percent, 42u);
  EXPECT_EQ(d0.memory_busy_percent, 17u);
  EXPECT_EQ(d0.temperature_c, 55u);
  ASSERT_TRUE(d0.power_w.has_value());
  EXPECT_DOUBLE_EQ(*d0.power_w, 123.5);
  EXPECT_EQ(d0.power_limit_w, 700.0);
  ASSERT_EQ(d0.processes.size(), 2u);
  EXPECT_EQ(d0.processes[0].pid, static_cast<std::uint32_t>(getpid()));
  EXPECT_EQ(d0.processes[0].used_bytes, 512ULL << 20);
  EXPECT_FALSE(d0.processes[0].name.empty());
  EXPECT_FALSE(d0.processes[1].used_bytes.has_value());
  EXPECT_EQ(d0.processes[1].name, "");

  const DeviceReading& d1 = (*readings)[1];
  EXPECT_EQ(d1.name, "Fake T4");
  EXPECT_FALSE(d1.compute_busy_percent.has_value());  // not supported: empty, not invented
  EXPECT_FALSE(d1.memory_busy_percent.has_value());
  EXPECT_FALSE(d1.temperature_c.has_value());
  EXPECT_FALSE(d1.power_w.has_value());
  EXPECT_FALSE(d1.power_limit_w.has_value());
  EXPECT_TRUE(d1.processes.empty());
}

TEST(GpuDefaultProbe, NeverFails) {
  auto probe = create_default_probe();
  ASSERT_NE(probe, nullptr);
  EXPECT_TRUE(probe->source() == "nvml" || probe->source() == "none");
  EXPECT_TRUE(probe->read());
}

TEST(GpuMemoryProfileJson, HasNullsForMissingFields) {
  MemoryProfile profile;
  profile.mode = "cuda";
  profile.source = "fake";
  DeviceReading reading;
  reading.total_bytes = 100;
  reading.compute_busy_percent = 5;
  profile.devices.push_back(reading);
  profile.system = {1000, 500};
  const nlohmann::json json = nlohmann::json::parse(to_json(profile));
  EXPECT_EQ(json["mode"], "cuda");
  EXPECT_EQ(json["devices"][0]["total_bytes"], 100);
  EXPECT_EQ(json["devices"][0]["compute_busy_percent"], 5);
  EXPECT_TRUE(json["devices"][0]["temperature_c"].is_null());
  EXPECT_TRUE(json["allocator"].is_null());
  EXPECT_EQ(json["system"]["available_bytes"], 500);
}

}  // namespace
}  // namespace orfeas::gpu
