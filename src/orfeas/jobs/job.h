// Job: one image-to-mesh request of `orfeas serve`, as the job store keeps it.
//
//   ORFEAS_ASSIGN_OR_RETURN(std::string id, jobs::new_job_id());   // 32 hex digits, 128 random bits
//   jobs::GenerationParams params{.format = "glb", .resolution = 192};
//   params.batch_key();   // "inflate/r192/auto": jobs with one key may share a batch
//   params.cache_key();   // every parameter that changes the result, for the content-addressed cache
//
// Ids are the only names the server builds file names from (see data_dir.h), so they come from the
// kernel's CSPRNG (getrandom(2)): unguessable, and checked by is_valid_job_id wherever they enter.
// Thread-safety: values; new_job_id() may be called from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "orfeas/core/status.h"

namespace orfeas::jobs {

// queued ─claim─▶ running ─▶ completed | failed;  queued | running ─cancel─▶ cancelled;
// running ─requeue_running (start-up after a crash)─▶ queued.
enum class JobStatus { kQueued, kRunning, kCompleted, kFailed, kCancelled };
inline constexpr int kJobStatusCount = 5;

// "queued", "running", "completed", "failed", "cancelled": the names stored and shown by the API.
[[nodiscard]] std::string_view job_status_name(JobStatus status);
[[nodiscard]] std::optional<JobStatus> parse_job_status(std::string_view name);
// completed, failed or cancelled: the job will not change again.
[[nodiscard]] bool is_final(JobStatus status);

// What to generate: the options of `orfeas generate` that a request may set.
struct GenerationParams {
  std::string format = "stl";  // export format: stl, glb, obj, ply
  int resolution = 128;        // volume samples per axis minus one
  double size_mm = 100.0;      // largest extent of the exported model
  std::int64_t faces = 0;      // face budget of simplification; 0 = none
  std::string backend = "inflate";
  std::string device = "auto";  // device preference: auto, cpu, cuda, cuda:N

  // The parameters that decide whether jobs can share one `Pipeline::run_batch` call (backend,
  // resolution, device): "inflate/r128/auto".
  [[nodiscard]] std::string batch_key() const;
  // Every parameter that changes the output, in a canonical form (size_mm to the micrometre), so
  // equal requests map to equal keys.
  [[nodiscard]] std::string cache_key() const;

  friend bool operator==(const GenerationParams&, const GenerationParams&) = default;
};

struct Job {
  std::string id;  // 32 lowercase hex digits
  JobStatus status = JobStatus::kQueued;
  int priority = 0;                         // higher runs first; equal priorities run oldest first
  std::int64_t created_ms = 0;              // unix time, milliseconds
  std::optional<std::int64_t> started_ms;   // the last claim; unset while never run
  std::optional<std::int64_t> finished_ms;  // set once final (completed, failed, cancelled)
  GenerationParams params;
  std::string input_sha256;  // content hash of the uploaded image bytes, 64 hex digits
  std::string upload_path;   // relative to the data directory: "uploads/<id>.png"
  std::string result_path;   // relative to the data directory, once completed: "results/<id>.glb"
  std::string error_code;    // error_code_name() of a failure, empty otherwise
  std::string error_message;
  bool retryable = false;  // a failure that may succeed if submitted again (out of memory, ...)
  int attempts = 0;        // times a run was interrupted and the job queued again

  friend bool operator==(const Job&, const Job&) = default;
};

// 128 bits from getrandom(2) as 32 lowercase hex digits. kUnavailable when the kernel refuses.
[[nodiscard]] Result<std::string> new_job_id();
// Exactly 32 lowercase hex digits: the only ids accepted by the store and the data directory.
[[nodiscard]] bool is_valid_job_id(std::string_view id);

}  // namespace orfeas::jobs
