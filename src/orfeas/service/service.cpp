#include "orfeas/service/service.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <span>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "orfeas/core/atomic_file.h"
#include "orfeas/export/format.h"
#include "orfeas/gpu/cuda_runtime.h"
#include "orfeas/gpu/device.h"
#include "orfeas/image/decode.h"
#include "orfeas/jobs/data_dir.h"
#include "orfeas/jobs/sha256.h"
#include "orfeas/service/api.h"
#include "orfeas/service/job_progress.h"
#include "orfeas/service/scheduler.h"
#include "orfeas/shape/hunyuan3d_backend.h"
#include "orfeas/shape/shape_backend.h"

namespace orfeas::service {
namespace {

using SteadyClock = std::chrono::steady_clock;

std::int64_t system_clock_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now().time_since_epoch()).count();
}

constexpr std::array<std::string_view, 5> kFormats = {"stl", "glb", "obj", "ply", "3mf"};
constexpr int kMinResolution = 16;
constexpr int kMaxResolution = 1024;
constexpr double kMaxSizeMm = 10000.0;
constexpr int kMaxPriority = 100;

Status validate_request(const jobs::GenerationParams& params, int priority) {
  const auto invalid = [](std::string message) { return make_error(ErrorCode::kInvalidArgument, std::move(message)); };
  if (std::find(kFormats.begin(), kFormats.end(), params.format) == kFormats.end()) {
    return invalid(fmt::format("format '{}' is not one of stl, glb, obj, ply, 3mf", params.format));
  }
  if (const Result<exporter::Format> format = exporter::parse_format(params.format); format) {
    ORFEAS_RETURN_IF_ERROR(exporter::format_available(*format));
  }
  if (params.resolution < kMinResolution || params.resolution > kMaxResolution) {
    return invalid(fmt::format("resolution {} is outside {}..{}", params.resolution, kMinResolution, kMaxResolution));
  }
  if (!(params.size_mm > 0.0 && params.size_mm <= kMaxSizeMm)) {
    return invalid(fmt::format("size_mm {} is outside (0, {}]", params.size_mm, kMaxSizeMm));
  }
  if (params.faces < 0) return invalid(fmt::format("faces {} is negative (0 keeps every face)", params.faces));
  const std::vector<std::string> backends = shape::shape_backend_names();
  if (std::find(backends.begin(), backends.end(), params.backend) == backends.end()) {
    return invalid(fmt::format("backend '{}' is not one of {}", params.backend, fmt::join(backends, ", ")));
  }
  if (priority < -kMaxPriority || priority > kMaxPriority) {
    return invalid(fmt::format("priority {} is outside -{}..{}", priority, kMaxPriority, kMaxPriority));
  }
  return ok();
}

std::string_view upload_extension(image::ImageFormat format) {
  switch (format) {
    case image::ImageFormat::kPng:
      return "png";
    case image::ImageFormat::kJpeg:
      return "jpg";
    case image::ImageFormat::kWebp:
      return "webp";
  }
  return "bin";
}

// A failure that may go away when the job is submitted again.
bool is_retryable(ErrorCode code) {
  return code == ErrorCode::kOutOfMemory || code == ErrorCode::kUnavailable || code == ErrorCode::kResourceExhausted ||
         code == ErrorCode::kIoError;
}

// {"job", "total_s", "stages": [{"name", "seconds"}, …]}
std::string profile_json_text(std::string_view job, double total_s, const std::vector<pipeline::StageTiming>& stages) {
  nlohmann::json stage_list = nlohmann::json::array();
  for (const pipeline::StageTiming& stage : stages)
    stage_list.push_back({{"name", stage.name}, {"seconds", stage.seconds}});
  return nlohmann::json{{"job", job}, {"total_s", total_s}, {"stages", std::move(stage_list)}}.dump();
}

Result<std::vector<gpu::DeviceSpec>> resolve_devices(std::string_view device) {
  const int cuda_count = gpu::cuda_device_count();
  std::vector<gpu::DeviceSpec> all_cuda;
  for (int i = 0; i < cuda_count; ++i) all_cuda.push_back({gpu::DeviceKind::kCuda, i});
  if (device == "auto") {
    if (all_cuda.empty()) return std::vector<gpu::DeviceSpec>{{gpu::DeviceKind::kCpu, 0}};
    return all_cuda;
  }
  if (device == "cuda") {
    if (all_cuda.empty()) return make_error(ErrorCode::kUnavailable, "device \"cuda\": no CUDA device is present");
    return all_cuda;
  }
  ORFEAS_ASSIGN_OR_RETURN(const gpu::DeviceSpec spec, gpu::parse_device(device));
  if (spec.kind == gpu::DeviceKind::kCuda && spec.ordinal >= cuda_count) {
    return make_error(ErrorCode::kUnavailable,
                      fmt::format("device \"{}\": this machine has {} CUDA device(s)", device, cuda_count));
  }
  return std::vector<gpu::DeviceSpec>{spec};
}

Status validate_options(const ServiceOptions& options) {
  const auto invalid = [](std::string message) { return make_error(ErrorCode::kInvalidArgument, std::move(message)); };
  if (options.data_dir.empty()) return invalid("the service needs a data directory");
  if (options.max_queue == 0) return invalid("max_queue must be at least 1");
  if (options.max_upload_bytes == 0 || options.max_pixels == 0) return invalid("upload limits must be positive");
  if (options.job_timeout.count() <= 0) return invalid("job_timeout must be positive");
  if (options.expiry_interval.count() <= 0 || options.expire_after.count() < 0) {
    return invalid("expiry_interval must be positive and expire_after not negative");
  }
  if (options.max_queue_delay.count() < 0) return invalid("max_queue_delay must not be negative");
  if (options.worker_nice < 0 || options.worker_nice > 19) {
    return invalid(
        fmt::format("worker_nice is 0..19 (raising a priority needs privilege), not {}", options.worker_nice));
  }
  return ok();
}

JobEvent event_of(EventType type, std::string_view job) {
  JobEvent event;
  event.type = type;
  event.job = std::string(job);
  return event;
}

}  // namespace

// A job between its submission (or, for jobs queued before a restart, its claim) and its end.
struct RunningJob {
  // Orders the job's events: `queued` goes out under it before the job is claimable's `started`
  // can, `cancelled` is published under it and nothing after it. Recursive, so that a sink may
  // call cancel() from inside a delivery. Lock order: this, then the registry — never the reverse.
  std::recursive_mutex mutex;
  std::atomic<bool> cancel_requested{false};  // the stop check's view; set before `cancelled`
  bool cancelled = false;                     // guarded by mutex
  // Set by claim() under `mutex`, read by the worker that claimed the job.
  std::int64_t deadline_ms = 0;  // on the service's clock
  profiling::JobId profiler_job = profiling::kNoJob;
  std::optional<JobProgress> progress;  // guarded by mutex; set while running
};

struct Service::Impl final : JobLifecycle {
  ServiceOptions options;
  jobs::DataDir data;
  std::unique_ptr<jobs::JobStore> store;
  EventHub hub;
  ServiceMetrics metrics;
  std::unique_ptr<profiling::Profiler> profiler;

  // Claims, submissions and cancellations: held around a store change and the registration that
  // must go with it; no event is published and no job's mutex taken under it.
  std::mutex registry_mutex;
  std::unordered_map<std::string, std::shared_ptr<RunningJob>>
      running;  // queued and running; guarded by registry_mutex

  std::mutex finishes_mutex;
  std::deque<std::int64_t> finishes_ms;  // steady times of recent ends, for retry_after_s

  std::atomic<bool> draining{false};  // drain() began: nothing more is claimed
  std::atomic<bool> abandon{false};   // drain ran out of grace: running jobs stop and are queued again
  std::mutex drain_mutex;
  bool drained = false;  // guarded by drain_mutex

  std::mutex expiry_mutex;
  std::condition_variable expiry_wake;
  bool expiry_stop = false;  // guarded by expiry_mutex
  std::thread expiry_thread;

  std::unique_ptr<Scheduler> scheduler;  // last: it borrows the store, the metrics and this

  Impl(ServiceOptions options_, jobs::DataDir data_) : options(std::move(options_)), data(std::move(data_)) {}

  [[nodiscard]] std::int64_t now_ms() const { return options.clock_ms ? options.clock_ms() : system_clock_ms(); }

  std::shared_ptr<RunningJob> find_running(std::string_view id) {
    const std::lock_guard lock(registry_mutex);
    const auto it = running.find(std::string(id));
    return it != running.end() ? it->second : nullptr;
  }

  void record_finish(const jobs::Job& job, jobs::JobStatus status) {
    metrics.job_finished(status, static_cast<double>(std::max<std::int64_t>(0, now_ms() - job.created_ms)) / 1000.0);
    const std::lock_guard lock(finishes_mutex);
    finishes_ms.push_back(steady_ms());
    while (finishes_ms.size() > 64) finishes_ms.pop_front();
  }

  void publish_completed(const jobs::Job& job, std::string profile) {
    JobEvent event = event_of(EventType::kCompleted, job.id);
    event.result_url = fmt::format("/api/jobs/{}/result", job.id);
    event.profile_json = std::move(profile);
    hub.publish(event);
  }

  void publish_failed(std::string_view id, const Error& error, bool retryable) {
    JobEvent event = event_of(EventType::kFailed, id);
    event.error_code = std::string(api_error_code(error.code()));
    event.error_message = error.message();
    event.retryable = retryable;
    hub.publish(event);
  }

  // --- JobLifecycle: what the scheduler's workers call ---

  Result<std::vector<jobs::Job>> claim(std::string_view batch_key, int max_jobs, std::string_view device) override {
    const StageWeights weights = stage_weights(profiler->stage_shares());
    std::vector<jobs::Job> batch;
    std::vector<std::shared_ptr<RunningJob>> entries;
    {
      const std::lock_guard lock(registry_mutex);
      ORFEAS_ASSIGN_OR_RETURN(batch, store->claim_next_batch(batch_key, max_jobs));
      for (const jobs::Job& job : batch) {
        std::shared_ptr<RunningJob>& entry = running[job.id];
        if (entry == nullptr) entry = std::make_shared<RunningJob>();  // queued before a restart
        entries.push_back(entry);
      }
    }
    for (std::size_t i = 0; i < batch.size(); ++i) {
      RunningJob& entry = *entries[i];
      const std::lock_guard lock(entry.mutex);  // after the submitter's `queued`
      entry.deadline_ms = now_ms() + options.job_timeout.count();
      entry.profiler_job = profiler->begin_pipeline(fmt::format("{} on {}", batch[i].id, device));
      entry.progress.emplace(batch[i].id, weights, steady_ms());
      if (!entry.cancelled) hub.publish(event_of(EventType::kStarted, batch[i].id));
    }
    return batch;
  }

  Result<pipeline::Job> prepare(const jobs::Job& job) override {
    const std::shared_ptr<RunningJob> entry = find_running(job.id);
    if (entry == nullptr) return make_error(ErrorCode::kInternal, fmt::format("job {} is not registered", job.id));
    pipeline::Job out;
    ORFEAS_ASSIGN_OR_RETURN(out.input, data.absolute(job.upload_path));
    ORFEAS_ASSIGN_OR_RETURN(const std::string result, jobs::DataDir::result_path(job.id, job.params.format));
    ORFEAS_ASSIGN_OR_RETURN(out.output, data.absolute(result));
    ORFEAS_ASSIGN_OR_RETURN(out.format, exporter::parse_format(job.params.format));
    out.size_mm = static_cast<float>(job.params.size_mm);
    out.target_faces = static_cast<std::size_t>(job.params.faces);
    out.context.profiler = profiler.get();
    out.context.job = entry->profiler_job;
    out.context.progress = [this, entry](const pipeline::ProgressEvent& event) {
      const std::lock_guard lock(entry->mutex);
      if (entry->cancelled) return;
      if (std::optional<JobEvent> progress = entry->progress->on_event(event, steady_ms())) hub.publish(*progress);
    };
    out.context.stop = [this, entry]() -> Status {
      if (abandon) {
        return make_error(ErrorCode::kUnavailable, "the server is shutting down; the job runs again at its restart");
      }
      if (entry->cancel_requested) return make_error(ErrorCode::kCancelled, "the job was cancelled");
      if (now_ms() >= entry->deadline_ms) {
        return make_error(ErrorCode::kDeadlineExceeded,
                          fmt::format("the job ran longer than its time limit of {} ms", options.job_timeout.count()));
      }
      return ok();
    };
    return out;
  }

  void finish(const jobs::Job& job, pipeline::JobResult result) override {
    const std::shared_ptr<RunningJob> entry = find_running(job.id);
    std::optional<std::unique_lock<std::recursive_mutex>> lock;
    double total_s = result.report.total_seconds;
    if (entry != nullptr) {
      lock.emplace(entry->mutex);
      if (Result<profiling::PipelineProfile> profile = profiler->end_pipeline(entry->profiler_job)) {
        total_s = profile->total_seconds;
      }
    }
    const std::string profile = profile_json_text(job.id, total_s, result.report.stages);
    const Result<std::string> result_path = jobs::DataDir::result_path(job.id, job.params.format);
    // The pipeline writes atomically: a job that stopped left nothing; a completed one that may not
    // stay (cancelled meanwhile) is deleted here.
    const auto remove_output = [&] {
      if (result_path) (void)data.remove(*result_path);
    };
    const auto store_refused = [&](const Error& error) {
      remove_output();
      // Cancelled meanwhile: cancel() tells the subscribers. Anything else is the store's failure.
      const Result<jobs::Job> now = store->get(job.id);
      if (now && now->status == jobs::JobStatus::kCancelled) return;
      publish_failed(job.id, error.with_context("while recording the job's end"), true);
    };

    if (entry != nullptr && entry->cancelled) {
      remove_output();
    } else if (result.status && result_path) {
      if (Status marked = store->mark_completed(job.id, *result_path, profile); !marked) {
        store_refused(marked.error());
      } else {
        for (const pipeline::StageTiming& stage : result.report.stages)
          metrics.stage_observed(stage.name, stage.seconds);
        record_finish(job, jobs::JobStatus::kCompleted);
        publish_completed(job, profile);
      }
    } else {
      const Error error = result.status ? result_path.error() : result.status.error();
      remove_output();
      if (error.code() == ErrorCode::kCancelled && entry != nullptr && entry->cancel_requested) {
        // cancel() made it final and publishes `cancelled`.
      } else if (error.code() == ErrorCode::kUnavailable && abandon) {
        // Left running in the store: drain() queues it again.
      } else {
        const bool retryable = is_retryable(error.code());
        if (Status marked = store->mark_failed(job.id, error, retryable, profile); !marked) {
          store_refused(marked.error());
        } else {
          record_finish(job, jobs::JobStatus::kFailed);
          publish_failed(job.id, error, retryable);
        }
      }
    }
    lock.reset();
    const std::lock_guard registry(registry_mutex);
    running.erase(job.id);
  }

  // --- expiry ---

  Result<std::size_t> expire_now() {
    const std::int64_t cutoff = now_ms() - options.expire_after.count();
    ORFEAS_ASSIGN_OR_RETURN(const std::vector<std::string> paths, store->expire(cutoff));
    std::size_t deleted = 0;
    for (const std::string& path : paths) {
      Result<std::filesystem::path> absolute = data.absolute(path);
      std::error_code ec;
      if (absolute && std::filesystem::exists(*absolute, ec) && data.remove(path)) ++deleted;
    }
    return deleted;
  }

  void expiry_loop() {
    std::unique_lock lock(expiry_mutex);
    while (!expiry_stop) {
      if (expiry_wake.wait_for(lock, options.expiry_interval, [&] { return expiry_stop; })) break;
      lock.unlock();
      (void)expire_now();  // a failed pass is tried again at the next interval
      lock.lock();
    }
  }

  void stop_expiry() {
    {
      const std::lock_guard lock(expiry_mutex);
      expiry_stop = true;
    }
    expiry_wake.notify_all();
    if (expiry_thread.joinable()) expiry_thread.join();
  }

  // --- submission ---

  // A new completed job whose result is the cached one's (a hard link, else a copy); nullopt when
  // the cached file cannot be used after all (expired meanwhile).
  std::optional<SubmitAnswer> answer_from_cache(const jobs::Job& cached, const jobs::JobRequest& request) {
    const Result<std::filesystem::path> source = data.absolute(cached.result_path);
    const Result<std::string> target = jobs::DataDir::result_path(request.id, request.params.format);
    if (!source || !target) return std::nullopt;
    const std::filesystem::path target_path = data.root() / *target;
    std::error_code ec;
    std::filesystem::create_hard_link(*source, target_path, ec);
    if (ec) {
      // Another file system, or no links there: a copy. The name is a new job's, which no reader
      // knows before the job is inserted below, so the copy need not be atomic.
      ec.clear();
      std::filesystem::copy_file(*source, target_path, ec);
      if (ec) {
        std::filesystem::remove(target_path, ec);
        return std::nullopt;
      }
    }
    const std::string profile = store->profile_json(cached.id).value_or(std::string());
    Result<jobs::Job> job = store->insert_completed(request, *target, profile);
    if (!job) {
      (void)data.remove(*target);
      return std::nullopt;
    }
    metrics.job_submitted();
    metrics.cache_hit();
    record_finish(*job, jobs::JobStatus::kCompleted);
    publish_completed(*job, profile);
    return SubmitAnswer{std::move(*job), 0, true};
  }

  Result<SubmitAnswer> submit(SubmitRequest request) {
    ORFEAS_RETURN_IF_ERROR(validate_request(request.params, request.priority));
    if (request.params.backend == shape::kHunyuan3DBackendName && options.hunyuan3d.model_dir.empty()) {
      return make_error(ErrorCode::kInvalidArgument,
                        "this server has no Hunyuan3D-2 model: start it with --model DIR for backend=hunyuan3d");
    }
    if (!scheduler->serves(request.params.device)) {
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("device '{}' is not served here (this server runs on {})", request.params.device,
                                    fmt::join(worker_names(), ", ")));
    }
    if (request.image.size() > options.max_upload_bytes) {
      return make_error(ErrorCode::kLimitExceeded, fmt::format("the image has {} bytes, more than the limit of {}",
                                                               request.image.size(), options.max_upload_bytes));
    }
    const std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t*>(request.image.data()),
                                              request.image.size());
    ORFEAS_ASSIGN_OR_RETURN_CTX(const image::ImageFormat format, image::sniff_image_format(bytes),
                                "while checking the upload");
    ORFEAS_ASSIGN_OR_RETURN(std::string id, jobs::new_job_id());
    jobs::JobRequest job_request{.id = std::move(id),
                                 .priority = request.priority,
                                 .params = request.params,
                                 .input_sha256 = jobs::sha256_hex(request.image),
                                 .upload_path = {}};
    ORFEAS_ASSIGN_OR_RETURN(const std::optional<jobs::Job> cached,
                            store->find_completed_by_cache_key(job_request.input_sha256, request.params));
    const bool cache_usable = cached.has_value();
    // The whole image is decoded once before it is queued, so a job never fails later for its bytes.
    // A cache hit skips it: the same bytes were decoded when the completed job was submitted.
    const auto check_image = [&]() -> Status {
      image::DecodeLimits limits;
      limits.max_file_bytes = options.max_upload_bytes;
      limits.max_pixels = options.max_pixels;
      if (Result<image::ImageRgba8> decoded = image::decode_image(bytes, limits); !decoded) {
        return tl::unexpected(decoded.error().with_context("while checking the upload"));
      }
      return ok();
    };
    if (!cache_usable) ORFEAS_RETURN_IF_ERROR(check_image());

    ORFEAS_ASSIGN_OR_RETURN(const jobs::JobCounts counts, store->counts());
    if (!cache_usable && counts.of(jobs::JobStatus::kQueued) >= static_cast<std::int64_t>(options.max_queue)) {
      return make_error(ErrorCode::kResourceExhausted, fmt::format("the queue is full ({} jobs); try again in {} s",
                                                                   options.max_queue, retry_after()));
    }
    ORFEAS_ASSIGN_OR_RETURN(job_request.upload_path, data.write_upload(job_request.id, upload_extension(format),
                                                                       std::as_bytes(std::span(request.image))));
    if (cache_usable) {
      if (std::optional<SubmitAnswer> answer = answer_from_cache(*cached, job_request)) return std::move(*answer);
      if (Status checked = check_image(); !checked) {  // the stored result is gone: run it after all
        (void)data.remove(job_request.upload_path);
        return tl::unexpected(checked.error());
      }
      if (counts.of(jobs::JobStatus::kQueued) >= static_cast<std::int64_t>(options.max_queue)) {
        (void)data.remove(job_request.upload_path);
        return make_error(ErrorCode::kResourceExhausted, fmt::format("the queue is full ({} jobs); try again in {} s",
                                                                     options.max_queue, retry_after()));
      }
    }
    SubmitAnswer answer;
    auto entry = std::make_shared<RunningJob>();
    // Held from before the job can be claimed until `queued` is out, so `started` follows it.
    std::unique_lock entry_lock(entry->mutex);
    {
      const std::lock_guard lock(registry_mutex);
      Result<jobs::Job> job = store->insert(job_request);
      if (!job) {
        (void)data.remove(job_request.upload_path);
        return tl::unexpected(job.error().with_context("while queueing the job"));
      }
      answer.job = std::move(*job);
      running[answer.job.id] = entry;
    }
    answer.position = store->queue_position(answer.job.id).value_or(0);
    JobEvent queued = event_of(EventType::kQueued, answer.job.id);
    queued.position = answer.position;
    hub.publish(queued);  // a cancel() from another thread waits for entry_lock: `cancelled` follows
    entry_lock.unlock();
    metrics.job_submitted();
    scheduler->notify();
    return answer;
  }

  Result<jobs::Job> cancel(std::string_view id) {
    if (!jobs::is_valid_job_id(id))
      return make_error(ErrorCode::kInvalidArgument, fmt::format("malformed job id '{}'", id));
    std::shared_ptr<RunningJob> entry;
    jobs::Job after;
    bool was_queued = false;
    {
      const std::lock_guard lock(registry_mutex);
      ORFEAS_ASSIGN_OR_RETURN(const jobs::Job before, store->get(id));
      if (jobs::is_final(before.status)) return before;
      ORFEAS_ASSIGN_OR_RETURN(after, store->cancel(id));
      if (after.status != jobs::JobStatus::kCancelled) return after;  // it ended meanwhile
      was_queued = before.status == jobs::JobStatus::kQueued;
      if (const auto it = running.find(after.id); it != running.end()) {
        entry = it->second;
        entry->cancel_requested = true;
        if (was_queued) running.erase(it);  // no worker will claim it now
      }
    }
    if (entry != nullptr) {
      const std::lock_guard lock(entry->mutex);
      entry->cancelled = true;
      hub.publish(event_of(EventType::kCancelled, after.id));
    } else {
      // Queued before a restart and never claimed since: nothing else is said of it.
      hub.publish(event_of(EventType::kCancelled, after.id));
    }
    record_finish(after, jobs::JobStatus::kCancelled);
    return after;
  }

  [[nodiscard]] std::vector<std::string> worker_names() const {
    std::vector<std::string> names;
    for (const WorkerStatus& worker : scheduler->workers()) names.push_back(worker.device);
    return names;
  }

  int retry_after() {
    const std::int64_t queued = store->counts().value_or(jobs::JobCounts{}).of(jobs::JobStatus::kQueued);
    double jobs_per_s = 0.0;
    {
      const std::lock_guard lock(finishes_mutex);
      if (finishes_ms.size() >= 2) {
        const double span_s = static_cast<double>(steady_ms() - finishes_ms.front()) / 1000.0;
        if (span_s > 0.0) jobs_per_s = static_cast<double>(finishes_ms.size()) / span_s;
      }
    }
    // Without history: a job a second per worker.
    if (jobs_per_s <= 0.0) jobs_per_s = static_cast<double>(std::max<std::size_t>(1, scheduler->worker_count()));
    const double seconds = std::ceil(static_cast<double>(queued) / jobs_per_s);
    return static_cast<int>(std::clamp(seconds, 1.0, 3600.0));
  }
};

Result<std::unique_ptr<Service>> Service::open(ServiceOptions options) {
  ORFEAS_RETURN_IF_ERROR(validate_options(options));
  ORFEAS_ASSIGN_OR_RETURN(const std::vector<gpu::DeviceSpec> devices, resolve_devices(options.device));
  ORFEAS_ASSIGN_OR_RETURN(jobs::DataDir data, jobs::DataDir::open(options.data_dir));
  auto impl = std::make_unique<Impl>(std::move(options), std::move(data));
  jobs::JobStoreOptions store_options;
  store_options.clock_ms = impl->options.clock_ms;
  ORFEAS_ASSIGN_OR_RETURN(impl->store, jobs::JobStore::open(impl->options.data_dir, store_options));
  ORFEAS_RETURN_IF_ERROR_CTX(impl->store->requeue_running(), "while queueing again the jobs a crash interrupted");
  ORFEAS_ASSIGN_OR_RETURN(impl->profiler, profiling::Profiler::create({}));
  SchedulerOptions scheduler_options;
  scheduler_options.devices = devices;
  scheduler_options.max_queue_delay = impl->options.max_queue_delay;
  scheduler_options.probe = impl->options.probe;
  scheduler_options.cpu_pool_bytes = impl->options.cpu_pool_bytes;
  scheduler_options.calibration_dir = impl->options.data_dir;
  scheduler_options.worker_nice = impl->options.worker_nice;
  scheduler_options.hunyuan3d = impl->options.hunyuan3d;
  ORFEAS_ASSIGN_OR_RETURN(impl->scheduler,
                          Scheduler::create(std::move(scheduler_options), *impl->store, *impl, impl->metrics));
  Impl& started = *impl;
  started.expiry_thread = std::thread([&started] { started.expiry_loop(); });
  if (started.options.start_workers) started.scheduler->start();
  return std::unique_ptr<Service>(new Service(std::move(impl)));
}

Service::Service(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Service::~Service() {
  drain();
}

Result<SubmitAnswer> Service::submit(SubmitRequest request) {
  return impl_->submit(std::move(request));
}

Result<JobView> Service::get(std::string_view id) {
  if (!jobs::is_valid_job_id(id))
    return make_error(ErrorCode::kInvalidArgument, fmt::format("malformed job id '{}'", id));
  JobView view;
  ORFEAS_ASSIGN_OR_RETURN(view.job, impl_->store->get(id));
  if (view.job.status == jobs::JobStatus::kQueued) {
    ORFEAS_ASSIGN_OR_RETURN(const std::int64_t position, impl_->store->queue_position(id));
    if (position > 0) view.position = position;
  } else if (view.job.status == jobs::JobStatus::kRunning) {
    if (const std::shared_ptr<RunningJob> entry = impl_->find_running(id)) {
      const std::lock_guard lock(entry->mutex);
      if (entry->progress) view.progress = entry->progress->last();
    }
  }
  return view;
}

Result<jobs::JobPage> Service::list(const jobs::ListQuery& query) {
  return impl_->store->list(query);
}

Result<jobs::Job> Service::cancel(std::string_view id) {
  return impl_->cancel(id);
}

Result<std::filesystem::path> Service::result_file(std::string_view id) {
  if (!jobs::is_valid_job_id(id))
    return make_error(ErrorCode::kInvalidArgument, fmt::format("malformed job id '{}'", id));
  ORFEAS_ASSIGN_OR_RETURN(const jobs::Job job, impl_->store->get(id));
  if (job.status != jobs::JobStatus::kCompleted) {
    return make_error(ErrorCode::kNotFound,
                      fmt::format("job {} is {}, not completed", id, job_status_name(job.status)));
  }
  ORFEAS_ASSIGN_OR_RETURN(std::filesystem::path path, impl_->data.absolute(job.result_path));
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return make_error(ErrorCode::kNotFound, fmt::format("the result of job {} is gone", id));
  }
  return path;
}

Result<std::string> Service::profile_json(std::string_view id) {
  if (!jobs::is_valid_job_id(id))
    return make_error(ErrorCode::kInvalidArgument, fmt::format("malformed job id '{}'", id));
  ORFEAS_ASSIGN_OR_RETURN(std::string profile, impl_->store->profile_json(id));
  if (profile.empty())
    return make_error(ErrorCode::kNotFound, fmt::format("job {} has no profile: it has not run", id));
  return profile;
}

int Service::retry_after_s() const {
  return impl_->retry_after();
}

void Service::start_workers() {
  impl_->scheduler->start();
}

void Service::drain(std::chrono::milliseconds grace) {
  Impl& impl = *impl_;
  const std::lock_guard lock(impl.drain_mutex);
  if (impl.drained) return;
  impl.drained = true;
  impl.draining = true;
  impl.scheduler->stop_claiming();
  if (!impl.scheduler->wait_idle(grace)) impl.abandon = true;  // the rest stop at their next stage
  impl.scheduler->join();
  if (impl.abandon) (void)impl.store->requeue_running();
  impl.stop_expiry();
}

EventHub& Service::events() {
  return impl_->hub;
}

ServiceMetrics& Service::metrics() {
  return impl_->metrics;
}

profiling::Profiler& Service::profiler() {
  return *impl_->profiler;
}

std::vector<shape::ModelLoad> Service::model_loads() const {
  return impl_->scheduler->model_loads();
}

std::vector<WorkerInfo> Service::workers() const {
  std::vector<WorkerInfo> out;
  for (WorkerStatus& worker : impl_->scheduler->workers()) {
    out.push_back({std::move(worker.device), worker.up, worker.batches_in_flight, worker.batches_run, worker.optimizer,
                   std::move(worker.config)});
  }
  return out;
}

Readiness Service::readiness() const {
  Readiness readiness;
  const std::filesystem::path probe = impl_->data.root() / ".readiness-probe";
  if (Status written = write_file_atomically(probe, std::string_view("ok")); written) {
    readiness.storage_writable = true;
    std::error_code ec;
    std::filesystem::remove(probe, ec);
  } else {
    readiness.detail = "the data directory is not writable: " + written.error().message();
  }
  const std::vector<WorkerStatus> workers = impl_->scheduler->workers();
  readiness.workers_up =
      !workers.empty() && std::all_of(workers.begin(), workers.end(), [](const WorkerStatus& w) { return w.up; });
  if (impl_->draining) {
    readiness.workers_up = false;
    if (readiness.detail.empty()) {
      readiness.detail = impl_->abandon ? "draining: the jobs still running stop and are queued again"
                                        : "draining: the running batches finish";
    }
  }
  if (!readiness.workers_up && readiness.detail.empty()) readiness.detail = "the workers are not running";
  return readiness;
}

MetricsSnapshot Service::metrics_snapshot() {
  MetricsSnapshot snapshot;
  if (Result<jobs::JobCounts> counts = impl_->store->counts()) {
    snapshot.jobs_by_status = counts->by_status;
    snapshot.queue_length = counts->of(jobs::JobStatus::kQueued);
  }
  for (const WorkerStatus& worker : impl_->scheduler->workers()) {
    MetricsSnapshot::Device device;
    device.name = worker.device;
    device.worker_up = worker.up;
    const gpu::MemoryProfile memory = worker.optimizer->memory_profile();
    const Result<gpu::DeviceSpec> spec = gpu::parse_device(worker.device);
    if (spec && spec->kind == gpu::DeviceKind::kCuda) {
      for (const gpu::DeviceReading& reading : memory.devices) {
        if (reading.index != static_cast<std::uint32_t>(spec->ordinal)) continue;
        device.memory_total_bytes = reading.total_bytes;
        device.memory_used_bytes = reading.used_bytes;
        if (reading.compute_busy_percent) device.utilization_percent = *reading.compute_busy_percent;
      }
    }
    snapshot.devices.push_back(std::move(device));
  }
  return snapshot;
}

Result<std::size_t> Service::expire_now() {
  return impl_->expire_now();
}

const ServiceOptions& Service::options() const {
  return impl_->options;
}

const std::filesystem::path& Service::data_dir() const {
  return impl_->data.root();
}

}  // namespace orfeas::service
