// Service: the generation service behind `orfeas serve`, without HTTP. The routes (api.h)
// and the WebSocket handler (progress_socket.h) are thin layers over it.
//
//   ORFEAS_ASSIGN_OR_RETURN(auto service, Service::open({.data_dir = "/var/lib/orfeas"}));
//   ORFEAS_ASSIGN_OR_RETURN(SubmitAnswer answer, service->submit({.image = bytes, .params = params}));
//   service->events().subscribe(me, {answer.job.id});     // queued, started, progress…, completed
//   ORFEAS_ASSIGN_OR_RETURN(JobView view, service->get(answer.job.id));
//   service->drain();                                      // SIGTERM: stop claiming, finish or requeue
//
// What it owns: the data directory (jobs::DataDir) and the job store (jobs::JobStore, SQLite), one
// worker per device (a CPU worker when there is no GPU, or with device "cpu"), each with its own
// Pipeline per configuration, GpuOptimizer and memory pool; the EventHub, the ServiceMetrics and
// the Profiler every job is recorded in.
//
// Scheduling: a worker claims a batch of queued jobs with one batch key (highest priority first,
// then oldest) up to the optimizer's recommended size, waiting at most `max_queue_delay` for a
// batch to fill; runs it through Pipeline::run_batch (the library's one path, as the CLI's); splits
// and retries on out-of-memory (a job never fails for that while one job alone fits); marks each job
// completed, failed or cancelled. A worker keeps up to two batches in flight, so the CPU stages of
// one overlap the device work of the next. A job running longer than `job_timeout` fails with
// kDeadlineExceeded (not retryable; the limit is checked at stage boundaries, on `clock_ms`); a
// cancelled running job stops at its next stage boundary and its result, if any, is deleted. A job
// runs only on a worker its device preference names ("auto": any; "cuda": any CUDA worker).
//
// Events (one job's, in this order): queued{position} → started → progress… (percent never falls,
// reaches 100 at the export's end) → completed | failed | cancelled; a cache hit has completed only;
// nothing follows the final event. Sinks are called on the thread that caused the event (a worker,
// or the caller of submit/cancel) and may call back into the service.
//
// Durability: at open(), jobs left running by a crash are queued again (they run once more, and
// complete exactly once); results are written atomically, so a result is complete or absent.
// Finished jobs and their files expire `expire_after` after they finished.
//
// Content cache: a submission whose image bytes (SHA-256) and cache-relevant parameters equal a
// completed job's whose result still exists is answered by a new job, already completed, whose
// result is a hard link to (or else a copy of) the stored one: no recomputation, one cache hit
// counted, and each job's files expire on their own.
//
// Profiles: each run's stage timings are kept with the job in the store (profile_json()) and in
// the Profiler's history, whose recent stage shares weight the progress percent.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "orfeas/core/status.h"
#include "orfeas/gpu/device_probe.h"
#include "orfeas/gpu/optimizer.h"
#include "orfeas/jobs/job.h"
#include "orfeas/jobs/job_store.h"
#include "orfeas/profiling/profiler.h"
#include "orfeas/service/events.h"
#include "orfeas/service/metrics.h"
#include "orfeas/shape/shape_backend.h"

namespace orfeas::service {

struct ServiceOptions {
  std::filesystem::path data_dir;
  // "auto" (every CUDA device, else the CPU), "cpu", "cuda" (every CUDA device; kUnavailable when
  // there is none), "cuda:N".
  std::string device = "auto";
  std::size_t max_queue = 1000;  // queued jobs; beyond it submit() answers kResourceExhausted
  std::size_t max_upload_bytes = std::size_t{32} << 20;
  std::uint64_t max_pixels = 50'000'000;  // decoded width × height
  std::chrono::milliseconds max_queue_delay{50};
  std::chrono::milliseconds job_timeout{std::chrono::minutes(10)};
  std::chrono::milliseconds expire_after{std::chrono::hours(24 * 7)};
  std::chrono::milliseconds expiry_interval{std::chrono::minutes(1)};  // how often expiry runs
  // Unix time in ms; tests pass a fake clock. Default: the system clock.
  std::function<std::int64_t()> clock_ms;
  // Bytes the CPU worker's volumes may take at once (its host memory pool's capacity); 0: no limit
  // but the machine's. A batch that does not fit is split like one that does not fit a GPU.
  std::uint64_t cpu_pool_bytes = 0;
  // The nice value (0..19) of the workers' threads and of the pool threads that help with their
  // loops (core/parallel.h, BackgroundLoops), so that a busy pipeline leaves the CPU to the
  // threads answering requests and streaming events (p99 event latency behind a busy CPU worker:
  // docs/benchmarks.md). 0: the process's priority, unchanged.
  int worker_nice = 10;
  // The native Hunyuan3D-2 engine's model (`backend=hunyuan3d` jobs; refused when model_dir is
  // empty) and its settings; see shape/shape_backend.h.
  shape::Hunyuan3DSettings hunyuan3d;
  // The device probe of CUDA workers' optimizers (null: NVML's); tests pass a fake.
  std::shared_ptr<gpu::DeviceProbe> probe;
  // false: jobs are accepted and queued but no worker claims them until start_workers() (tests of
  // the queue: positions, 429, cancel before start, restart recovery).
  bool start_workers = true;
};

struct SubmitRequest {
  std::string image;  // the uploaded bytes (PNG, JPEG, WebP)
  jobs::GenerationParams params;
  int priority = 0;  // -100..100, higher runs first
};

struct SubmitAnswer {
  jobs::Job job;
  std::int64_t position = 0;  // in the queue (1 = next); 0 when already final (a cache hit)
  bool cached = false;
};

// A job as the API shows it: the stored job, its place in the queue while queued, its latest
// progress while running.
struct JobView {
  jobs::Job job;
  std::optional<std::int64_t> position;
  std::optional<JobEvent> progress;  // the last progress event, while running
};

struct WorkerInfo {
  std::string device;  // "cpu", "cuda:0"
  bool up = false;
  std::size_t batches_in_flight = 0;
  std::size_t batches_run = 0;
  gpu::GpuOptimizer* optimizer = nullptr;  // the worker's; lives as long as the service
  gpu::JobConfig config;                   // of the default parameters on this device
};

struct Readiness {
  bool storage_writable = false;
  bool workers_up = false;  // false from the start of a drain
  std::string detail;       // why not ready, in a sentence
  [[nodiscard]] bool ready() const { return storage_writable && workers_up; }
};

class Service {
 public:
  // Opens the data directory and its job store, queues again what was running, starts the workers
  // (unless options.start_workers is false) and the expiry. Errors: kInvalidArgument (bad option),
  // kUnavailable (device "cuda" on a machine without one), the store's errors.
  [[nodiscard]] static Result<std::unique_ptr<Service>> open(ServiceOptions options);
  ~Service();  // drain()s
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  // Validates the image (a decodable PNG/JPEG/WebP within the byte and pixel limits: kLimitExceeded,
  // kUnsupportedFormat, kCorruptData) and the parameters (kInvalidArgument), stores the upload,
  // queues the job and publishes `queued`. A full queue: kResourceExhausted (retry_after_s() says
  // when to come back). A cache hit: a completed job at once (and its `completed` event).
  [[nodiscard]] Result<SubmitAnswer> submit(SubmitRequest request);

  [[nodiscard]] Result<JobView> get(std::string_view id);  // kNotFound, kInvalidArgument (bad id)
  [[nodiscard]] Result<jobs::JobPage> list(const jobs::ListQuery& query);
  // Cancels a queued or running job (publishes `cancelled`); a final job is returned unchanged.
  [[nodiscard]] Result<jobs::Job> cancel(std::string_view id);
  // The result file of a completed job (kNotFound when the job is not completed or its file is gone).
  [[nodiscard]] Result<std::filesystem::path> result_file(std::string_view id);
  // The job's profile: {"job", "total_s", "stages": [{"name", "seconds"}, …]} (kNotFound before it ran).
  [[nodiscard]] Result<std::string> profile_json(std::string_view id);

  // Seconds a client refused with kResourceExhausted should wait: the queue's expected drain time
  // at the recent throughput, at least 1.
  [[nodiscard]] int retry_after_s() const;

  void start_workers();  // when opened with start_workers = false
  // Stops claiming; lets running batches finish within `grace`, then stops what is left at its next
  // stage boundary and queues it again (it runs again at the next start, attempts + 1); stops the
  // expiry. Idempotent; the service answers reads and queues submissions afterwards, but runs nothing.
  void drain(std::chrono::milliseconds grace = std::chrono::seconds(30));

  [[nodiscard]] EventHub& events();
  [[nodiscard]] ServiceMetrics& metrics();
  [[nodiscard]] profiling::Profiler& profiler();
  [[nodiscard]] std::vector<WorkerInfo> workers() const;
  // The --model folder's weights as each device loaded them when the service opened.
  [[nodiscard]] std::vector<shape::ModelLoad> model_loads() const;
  [[nodiscard]] Readiness readiness() const;
  // Counters, queue and device readings at this moment, for /metrics.
  [[nodiscard]] MetricsSnapshot metrics_snapshot();
  // One expiry pass now (the expiry thread runs one every expiry_interval): deletes the jobs that
  // finished more than expire_after ago, then their files. Returns how many files were deleted.
  [[nodiscard]] Result<std::size_t> expire_now();
  [[nodiscard]] const ServiceOptions& options() const;
  [[nodiscard]] const std::filesystem::path& data_dir() const;

 private:
  struct Impl;
  explicit Service(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace orfeas::service
