#include "orfeas/gpu/device_probe.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "orfeas/gpu/nvml_probe.h"
#include "orfeas/gpu/testing/fake_nvml_ids.h"

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

// CUDA's view of the fake boards: `order[i]` is the NVML index of CUDA device i.
std::vector<CudaDeviceIdentity> cuda_sees(std::initializer_list<int> order) {
  std::vector<CudaDeviceIdentity> identities;
  for (const int nvml : order) {
    const int ordinal = static_cast<int>(identities.size());
    identities.push_back({ordinal, fake::kNvmlUuids[nvml], normalize_pci_bus_id(fake::kNvmlBusIds[nvml])});
  }
  return identities;
}

Result<std::unique_ptr<NvmlProbe>> fake_nvml_probe(std::vector<CudaDeviceIdentity> cuda) {
  return NvmlProbe::create({.library = ORFEAS_FAKE_NVML_PATH,
                            .cuda_devices = [cuda]() -> Result<std::vector<CudaDeviceIdentity>> { return cuda; }});
}

TEST(GpuNvmlProbe, ReadsEveryFieldFromTheCAbi) {
  auto probe = fake_nvml_probe(cuda_sees({0, 1}));
  ASSERT_TRUE(probe) << probe.error().message();
  EXPECT_EQ((*probe)->source(), "nvml");
  auto readings = (*probe)->read();
  ASSERT_TRUE(readings) << readings.error().message();
  ASSERT_EQ(readings->size(), 2u);
  const DeviceReading& d0 = (*readings)[0];
  EXPECT_EQ(d0.index, 0u);
  EXPECT_EQ(d0.name, "Fake H100");
  EXPECT_EQ(d0.nvml_index, 0u);
  EXPECT_EQ(d0.uuid, fake::kNvmlUuids[0]);
  EXPECT_EQ(d0.pci_bus_id, "0000:3b:00.0");
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

TEST(GpuNvmlProbe, NumbersDevicesAsCudaDoesInAPermutedOrder) {
  // CUDA_DEVICE_ORDER=FASTEST_FIRST or CUDA_VISIBLE_DEVICES=1,0: CUDA device 0 is NVML's device 1.
  auto probe = fake_nvml_probe(cuda_sees({1, 0}));
  ASSERT_TRUE(probe) << probe.error().message();
  auto readings = (*probe)->read();
  ASSERT_TRUE(readings) << readings.error().message();
  ASSERT_EQ(readings->size(), 2u);
  EXPECT_EQ((*readings)[0].index, 0u);
  EXPECT_EQ((*readings)[0].nvml_index, 1u);
  EXPECT_EQ((*readings)[0].name, "Fake T4");
  EXPECT_EQ((*readings)[0].total_bytes, 16ULL << 30);  // CUDA device 0's memory, not NVML device 0's
  EXPECT_EQ((*readings)[1].index, 1u);
  EXPECT_EQ((*readings)[1].nvml_index, 0u);
  EXPECT_EQ((*readings)[1].name, "Fake H100");
}

TEST(GpuNvmlProbe, LeavesOutBoardsCudaDoesNotSee) {
  // CUDA_VISIBLE_DEVICES=1: one CUDA device, NVML's second.
  auto probe = fake_nvml_probe(cuda_sees({1}));
  ASSERT_TRUE(probe) << probe.error().message();
  auto readings = (*probe)->read();
  ASSERT_TRUE(readings) << readings.error().message();
  ASSERT_EQ(readings->size(), 1u);
  EXPECT_EQ((*readings)[0].index, 0u);
  EXPECT_EQ((*readings)[0].uuid, fake::kNvmlUuids[1]);

  auto hidden = fake_nvml_probe({});  // CUDA_VISIBLE_DEVICES="": nothing to run on
  ASSERT_TRUE(hidden) << hidden.error().message();
  auto none = (*hidden)->read();
  ASSERT_TRUE(none) << none.error().message();
  EXPECT_TRUE(none->empty());
}

TEST(GpuNvmlProbe, CudaErrorWhileIdentifyingDevicesFailsCreate) {
  auto probe = NvmlProbe::create({.library = ORFEAS_FAKE_NVML_PATH, .cuda_devices = [] {
                                    return Result<std::vector<CudaDeviceIdentity>>(
                                        make_error(ErrorCode::kInternal, "cudaGetDeviceProperties failed"));
                                  }});
  ASSERT_FALSE(probe);
  EXPECT_NE(probe.error().message().find("cudaGetDeviceProperties failed"), std::string::npos);
}

TEST(GpuMatchCudaDevices, MatchesByUuidThenByBusIdAndDropsUnknownDevices) {
  std::vector<DeviceReading> nvml(3);
  for (std::uint32_t i = 0; i < 3; ++i) {
    nvml[i].index = i;
    nvml[i].nvml_index = i;
    nvml[i].total_bytes = (i + 1) * 1000;
  }
  nvml[0].uuid = "GPU-aaaa";
  nvml[0].pci_bus_id = "0000:01:00.0";
  nvml[1].uuid = "GPU-bbbb";
  nvml[1].pci_bus_id = "0000:02:00.0";
  nvml[2].uuid = "GPU-cccc";
  nvml[2].pci_bus_id = "0000:03:00.0";
  const std::vector<CudaDeviceIdentity> cuda = {
      {0, "GPU-CCCC", "0000:99:00.0"},  // UUID wins (any case) over a bus id that does not match
      {1, "MIG-1234", "0000:02:00.0"},  // a MIG instance: its board by bus id
      {2, "GPU-dddd", "0000:42:00.0"},  // unknown to NVML: left out, never another board's figures
      {3, "GPU-aaaa", ""}};
  const std::vector<DeviceReading> ordered = match_cuda_devices(nvml, cuda);
  ASSERT_EQ(ordered.size(), 3u);
  EXPECT_EQ(ordered[0].index, 0u);
  EXPECT_EQ(ordered[0].nvml_index, 2u);
  EXPECT_EQ(ordered[1].index, 1u);
  EXPECT_EQ(ordered[1].nvml_index, 1u);
  EXPECT_EQ(ordered[2].index, 3u);
  EXPECT_EQ(ordered[2].nvml_index, 0u);
  EXPECT_EQ(ordered[2].total_bytes, 1000u);
}

TEST(GpuMatchCudaDevices, NormalizesBusIdsOfBothSpellings) {
  EXPECT_EQ(normalize_pci_bus_id("00000000:3B:00.0"), "0000:3b:00.0");
  EXPECT_EQ(normalize_pci_bus_id("0000:3b:00.0"), "0000:3b:00.0");
  EXPECT_EQ(normalize_pci_bus_id("0001:C1:1F.7"), "0001:c1:1f.7");
  EXPECT_EQ(normalize_pci_bus_id(""), "");
  EXPECT_EQ(normalize_pci_bus_id("0000:3b:00"), "");
  EXPECT_EQ(normalize_pci_bus_id("0000:3b:00.0 "), "");
  EXPECT_EQ(normalize_pci_bus_id("zz:3b:00.0"), "");
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
  EXPECT_EQ(json["devices"][0]["nvml_index"], 0);
  EXPECT_EQ(json["devices"][0]["pci_bus_id"], "");
  EXPECT_EQ(json["devices"][0]["compute_busy_percent"], 5);
  EXPECT_TRUE(json["devices"][0]["temperature_c"].is_null());
  EXPECT_TRUE(json["allocator"].is_null());
  EXPECT_EQ(json["system"]["available_bytes"], 500);
}

}  // namespace
}  // namespace orfeas::gpu
