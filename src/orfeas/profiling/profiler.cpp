#include "orfeas/profiling/profiler.h"

#include <algorithm>
#include <unordered_map>
#include <utility>

#include "orfeas/profiling/chrome_trace.h"

#if defined(ORFEAS_WITH_NVTX)
#include <nvtx3/nvToolsExt.h>
#endif

namespace orfeas::profiling {

namespace detail {

using Clock = std::chrono::steady_clock;

struct StageSlot {
  std::string name;
  std::int32_t parent = -1;
  std::uint32_t depth = 0;
  Clock::time_point start;
  Clock::time_point end;
  bool closed = false;
  std::unique_ptr<GpuInterval> gpu;
  std::optional<std::uint64_t> peak_bytes;
};

struct JobState {
  JobId id = kNoJob;
  std::string name;
  Clock::time_point start;

  std::mutex mutex;
  std::vector<StageSlot> stages;  // guarded by mutex
  bool finished = false;          // guarded by mutex; set by end_pipeline, after which slots are gone
};

struct JobShard {
  mutable std::mutex mutex;
  std::unordered_map<std::uint64_t, std::shared_ptr<JobState>> jobs;  // guarded by mutex
};

}  // namespace detail

namespace {

using detail::Clock;

// The scopes open on this thread, innermost last: how a new scope finds its parent without any
// shared state. Keyed by the job's state, so jobs (and Profilers) never see each other's scopes.
struct OpenScope {
  const detail::JobState* job;
  std::size_t index;
  std::uint32_t depth;
};
thread_local std::vector<OpenScope> t_open_scopes;

double milliseconds(Clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}
double seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

#if defined(ORFEAS_WITH_NVTX)
nvtxDomainHandle_t nvtx_domain() {
  static const nvtxDomainHandle_t domain = nvtxDomainCreateA("orfeas");
  return domain;
}
void nvtx_push(const std::string& name) {
  nvtxEventAttributes_t attributes{};
  attributes.version = NVTX_VERSION;
  attributes.size = static_cast<std::uint16_t>(sizeof(nvtxEventAttributes_t));
  attributes.messageType = NVTX_MESSAGE_TYPE_ASCII;
  attributes.message.ascii = name.c_str();
  nvtxDomainRangePushEx(nvtx_domain(), &attributes);
}
void nvtx_pop() {
  nvtxDomainRangePop(nvtx_domain());
}
#else
void nvtx_push(const std::string& /*name*/) {}
void nvtx_pop() {}
#endif
constexpr bool kNvtx =
#if defined(ORFEAS_WITH_NVTX)
    true;
#else
    false;
#endif

}  // namespace

// --- ActiveStageScope ---------------------------------------------------------------------------

ActiveStageScope::ActiveStageScope(Profiler* profiler, JobId job, std::string_view name, void* stream) {
  if (profiler == nullptr || job == kNoJob) return;
  std::shared_ptr<detail::JobState> state;
  {
    detail::JobShard& shard = profiler->shard_for(job);
    const std::lock_guard lock(shard.mutex);
    const auto it = shard.jobs.find(static_cast<std::uint64_t>(job));
    if (it == shard.jobs.end()) return;  // not running (ended, or never begun): record nothing
    state = it->second;
  }
  std::int32_t parent = -1;
  std::uint32_t depth = 0;
  for (auto it = t_open_scopes.rbegin(); it != t_open_scopes.rend(); ++it) {
    if (it->job == state.get()) {
      parent = static_cast<std::int32_t>(it->index);
      depth = it->depth + 1;
      break;
    }
  }
  std::string stage_name(name);

  // Everything that is not the stage itself happens before the clock starts.
  if (parent < 0 && profiler->options_.memory_watermark) {
    profiler->watermark_enter();
    watermark_ = true;
  }
  if (kNvtx) {
    nvtx_push(stage_name);
    nvtx_ = true;
  }
  if (stream != nullptr && profiler->options_.gpu_timer) {
    gpu_ = profiler->options_.gpu_timer->begin(stream);
    stream_ = stream;
  }
  const Clock::time_point start = Clock::now();
  {
    const std::lock_guard lock(state->mutex);
    if (!state->finished) {
      index_ = state->stages.size();
      detail::StageSlot& slot = state->stages.emplace_back();
      slot.name = std::move(stage_name);
      slot.parent = parent;
      slot.depth = depth;
      slot.start = start;
      job_ = std::move(state);
    }
  }
  if (!job_) {  // the job ended between the lookup and now
    if (nvtx_) nvtx_pop();
    if (watermark_) static_cast<void>(profiler->watermark_leave());
    nvtx_ = watermark_ = false;
    gpu_.reset();
    return;
  }
  profiler_ = profiler;
  t_open_scopes.push_back({job_.get(), index_, depth});
}

ActiveStageScope::~ActiveStageScope() {
  if (!job_) return;
  const Clock::time_point end = Clock::now();
  if (gpu_) gpu_->end(stream_);
  std::optional<std::uint64_t> peak;
  if (watermark_) peak = profiler_->watermark_leave();
  if (nvtx_) nvtx_pop();
  for (auto it = t_open_scopes.rbegin(); it != t_open_scopes.rend(); ++it) {
    if (it->job == job_.get() && it->index == index_) {
      t_open_scopes.erase(std::next(it).base());
      break;
    }
  }
  const std::lock_guard lock(job_->mutex);
  if (job_->finished) return;  // end_pipeline already truncated this stage
  detail::StageSlot& slot = job_->stages[index_];
  slot.end = end;
  slot.closed = true;
  slot.gpu = std::move(gpu_);
  slot.peak_bytes = peak;
}

// --- Profiler -----------------------------------------------------------------------------------

Result<std::unique_ptr<Profiler>> Profiler::create(Options options) {
  if (options.history_capacity == 0) {
    return make_error(ErrorCode::kInvalidArgument, "profiler history capacity must be at least 1");
  }
  if (!(options.bottleneck_threshold_percent >= 0.0 && options.bottleneck_threshold_percent <= 100.0)) {
    return make_error(ErrorCode::kInvalidArgument, "bottleneck threshold must be within 0..100 %");
  }
  return std::unique_ptr<Profiler>(new Profiler(std::move(options)));
}

Profiler::Profiler(Options options)
    : options_(std::move(options)), shards_(std::make_unique<detail::JobShard[]>(kShardCount)) {}

Profiler::~Profiler() = default;

detail::JobShard& Profiler::shard_for(JobId job) const {
  return shards_[static_cast<std::uint64_t>(job) % kShardCount];
}

JobId Profiler::begin_pipeline(std::string job_name) {
  auto state = std::make_shared<detail::JobState>();
  state->id = JobId{next_job_.fetch_add(1, std::memory_order_relaxed)};
  state->name = std::move(job_name);
  const JobId id = state->id;
  detail::JobShard& shard = shard_for(id);
  state->start = Clock::now();
  const std::lock_guard lock(shard.mutex);
  shard.jobs.emplace(static_cast<std::uint64_t>(id), std::move(state));
  return id;
}

Result<PipelineProfile> Profiler::end_pipeline(JobId job) {
  const Clock::time_point end = Clock::now();
  std::shared_ptr<detail::JobState> state;
  {
    detail::JobShard& shard = shard_for(job);
    const std::lock_guard lock(shard.mutex);
    const auto it = shard.jobs.find(static_cast<std::uint64_t>(job));
    if (it == shard.jobs.end()) {
      return make_error(ErrorCode::kNotFound,
                        "profiler: job " + std::to_string(static_cast<std::uint64_t>(job)) + " is not running");
    }
    state = std::move(it->second);
    shard.jobs.erase(it);
  }
  std::vector<detail::StageSlot> slots;
  {
    const std::lock_guard lock(state->mutex);
    state->finished = true;
    slots = std::move(state->stages);
  }

  PipelineProfile profile;
  profile.job = state->id;
  profile.job_name = state->name;
  profile.started_at_seconds = seconds(state->start - epoch_);
  profile.total_seconds = seconds(end - state->start);
  profile.stages.reserve(slots.size());
  for (detail::StageSlot& slot : slots) {
    StageProfile& stage = profile.stages.emplace_back();
    stage.name = std::move(slot.name);
    stage.parent = slot.parent;
    stage.depth = slot.depth;
    stage.start_ms = milliseconds(slot.start - state->start);
    stage.wall_ms = milliseconds((slot.closed ? slot.end : end) - slot.start);
    stage.truncated = !slot.closed;
    // The only place GPU time is read; it may wait for the device to reach the end marker.
    if (slot.gpu) stage.gpu_ms = slot.gpu->elapsed_ms();
    stage.peak_device_bytes = slot.peak_bytes;
  }
  record_profile(profile);
  return profile;
}

void Profiler::record_profile(PipelineProfile profile) {
  const std::lock_guard lock(history_mutex_);
  history_.push_back(std::move(profile));
  while (history_.size() > options_.history_capacity) history_.pop_front();
}

void Profiler::clear_history() {
  const std::lock_guard lock(history_mutex_);
  history_.clear();
}

std::size_t Profiler::running_pipelines() const {
  std::size_t count = 0;
  for (std::size_t i = 0; i < kShardCount; ++i) {
    const std::lock_guard lock(shards_[i].mutex);
    count += shards_[i].jobs.size();
  }
  return count;
}

std::vector<PipelineProfile> Profiler::recent_profiles() const {
  const std::lock_guard lock(history_mutex_);
  return {history_.begin(), history_.end()};
}

void Profiler::watermark_enter() {
  const std::lock_guard lock(watermark_mutex_);
  if (watermark_holders_++ == 0) options_.memory_watermark->reset_peak();
}

std::uint64_t Profiler::watermark_leave() {
  const std::lock_guard lock(watermark_mutex_);
  --watermark_holders_;
  return options_.memory_watermark->peak_bytes();
}

AnalysisOptions Profiler::analysis_options() const {
  AnalysisOptions options;
  options.bottleneck_threshold_percent = options_.bottleneck_threshold_percent;
  options.device_memory_total_bytes = options_.device_memory_total_bytes;
  return options;
}

std::vector<StageShare> Profiler::stage_shares() const {
  return profiling::stage_shares(recent_profiles());
}

std::vector<Bottleneck> Profiler::bottlenecks(double threshold_percent) const {
  return find_bottlenecks(recent_profiles(), threshold_percent);
}

std::vector<Bottleneck> Profiler::bottlenecks() const {
  return bottlenecks(options_.bottleneck_threshold_percent);
}

std::vector<std::string> Profiler::recommendations() const {
  return make_recommendations(recent_profiles(), analysis_options());
}

Summary Profiler::summary() const {
  return summarize(recent_profiles());
}

Report Profiler::report() const {
  return make_report(recent_profiles(), analysis_options());
}

Status Profiler::export_report(const std::filesystem::path& path) const {
  return write_report(report(), path);
}

Status Profiler::export_trace(const std::filesystem::path& path) const {
  return write_chrome_trace(recent_profiles(), path);
}

}  // namespace orfeas::profiling
