// The identities of the fake libnvidia-ml's two devices (testing/fake_nvml.cpp), for the tests
// that map them to CUDA ordinals. NVML's spelling: lower-case UUIDs, upper-case 8-digit-domain
// bus ids.
#pragma once

namespace orfeas::gpu::fake {

inline constexpr const char* kNvmlUuids[2] = {"GPU-0a1b2c3d-0000-4000-8000-00000000000a",
                                              "GPU-0a1b2c3d-1111-4111-8111-11111111111b"};
inline constexpr const char* kNvmlBusIds[2] = {"00000000:3B:00.0", "00000000:86:00.0"};

}  // namespace orfeas::gpu::fake
