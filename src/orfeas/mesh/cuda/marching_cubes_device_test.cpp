// gpu label: "device N" means device N. A pool, a stream and the CUDA marching cubes on the last
// visible device while the thread has device 0 current: the mesh is the CPU's, the memory is on
// the last device, the case table reached that device too, and device 0 is still current after.
// Skips (with a message) where only one device is visible.
#include <cuda_runtime_api.h>
#include <gtest/gtest.h>

#include <string>

#include "orfeas/gpu/cuda/device_volume_cuda.h"
#include "orfeas/gpu/cuda_runtime.h"
#include "orfeas/mesh/cuda/cuda_test_support.h"
#include "orfeas/mesh/cuda/marching_cubes.h"
#include "orfeas/mesh/marching_cubes.h"
#include "orfeas/mesh/test_volumes.h"

namespace orfeas::mesh {
namespace {

// The CUDA mesh of `volume` on `device`, compared with the CPU's; the calling thread keeps
// `current` as its device throughout.
void expect_cpu_mesh_on(int device, int current, const ScalarVolume& volume, const std::string& what) {
  SCOPED_TRACE(what + " on cuda:" + std::to_string(device) + " with cuda:" + std::to_string(current) + " current");
  ASSERT_EQ(cudaSetDevice(current), cudaSuccess);
  auto pool = gpu::create_cuda_memory_pool(device);
  ASSERT_TRUE(pool) << pool.error().message();
  auto stream = gpu::create_cuda_stream(device);
  ASSERT_TRUE(stream) << stream.error().message();
  auto cpu = marching_cubes(volume, {.iso = 0.0F});
  ASSERT_TRUE(cpu) << cpu.error().message();
  auto uploaded = gpu::upload_volume_cuda(volume, **pool, (*stream)->native());
  ASSERT_TRUE(uploaded) << uploaded.error().message();
  cudaPointerAttributes attributes{};
  ASSERT_EQ(cudaPointerGetAttributes(&attributes, uploaded->values.data()), cudaSuccess);
  EXPECT_EQ(attributes.device, device) << "the pool allocated on another device";
  auto gpu_mesh = marching_cubes_cuda(*uploaded, {.iso = 0.0F}, **pool, (*stream)->native());
  ASSERT_TRUE(gpu_mesh) << gpu_mesh.error().message();
  EXPECT_TRUE(testing::meshes_identical(*cpu, *gpu_mesh));
  int now = -1;
  ASSERT_EQ(cudaGetDevice(&now), cudaSuccess);
  EXPECT_EQ(now, current) << "a call left its device current";
  EXPECT_TRUE((*stream)->synchronize());
}

TEST(GpuMarchingCubesDevices, TheLastDeviceMeshesLikeTheCpuWhileDeviceZeroIsCurrent) {
  const int count = gpu::cuda_device_count();
  ASSERT_GT(count, 0) << "no CUDA device visible";
  if (count < 2) GTEST_SKIP() << "only one CUDA device visible: nothing to tell apart (runs on multi-GPU machines)";
  const int last = count - 1;
  const ScalarVolume sphere = testing::sphere_volume(65, 0.6F);
  const ScalarVolume noise = testing::noise_volume(48, 11);
  // Device 0 first: its case table is uploaded; the last device must get its own, not rely on it.
  expect_cpu_mesh_on(0, 0, sphere, "sphere 65");
  expect_cpu_mesh_on(last, 0, sphere, "sphere 65");
  expect_cpu_mesh_on(last, 0, noise, "noise 48");
  // And the other way round: the last device current, device 0 used.
  expect_cpu_mesh_on(0, last, noise, "noise 48");
}

}  // namespace
}  // namespace orfeas::mesh
