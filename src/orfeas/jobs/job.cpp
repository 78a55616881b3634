#include "orfeas/jobs/job.h"

#include <sys/random.h>

#include <array>
#include <cerrno>
#include <cmath>
#include <cstring>

#include <fmt/format.h>

#include "orfeas/jobs/sha256.h"

namespace orfeas::jobs {
namespace {

constexpr std::array<std::string_view, kJobStatusCount> kStatusNames = {"queued", "running", "completed", "failed",
                                                                        "cancelled"};

}  // namespace

std::string_view job_status_name(JobStatus status) {
  return kStatusNames[static_cast<std::size_t>(status)];
}

std::optional<JobStatus> parse_job_status(std::string_view name) {
  for (std::size_t i = 0; i < kStatusNames.size(); ++i) {
    if (kStatusNames[i] == name) return static_cast<JobStatus>(i);
  }
  return std::nullopt;
}

bool is_final(JobStatus status) {
  return status == JobStatus::kCompleted || status == JobStatus::kFailed || status == JobStatus::kCancelled;
}

std::string GenerationParams::batch_key() const {
  return fmt::format("{}/r{}/{}", backend, resolution, device);
}

std::string GenerationParams::cache_key() const {
  // The device is left out: every device produces the same mesh for the same request.
  const auto size_um = static_cast<long long>(std::llround(size_mm * 1000.0));
  return fmt::format("{}/r{}/f{}/s{}um/{}", backend, resolution, faces, size_um, format);
}

Result<std::string> new_job_id() {
  std::array<std::uint8_t, 16> bytes{};
  std::size_t filled = 0;
  while (filled < bytes.size()) {
    const ssize_t got = getrandom(bytes.data() + filled, bytes.size() - filled, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      return make_error(ErrorCode::kUnavailable, fmt::format("getrandom failed: {}", std::strerror(errno)));
    }
    filled += static_cast<std::size_t>(got);
  }
  return to_hex(bytes);
}

bool is_valid_job_id(std::string_view id) {
  if (id.size() != 32) return false;
  for (const char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace orfeas::jobs
