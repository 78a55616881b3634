#include "orfeas/profiling/profiler.h"

#include <algorithm>
#include <unordered_map>
#include <utility>

#include <fmt/format.h>

#include "orfeas/profiling/chrome_trace.h"
#include "orfeas/profiling/internal/job_recording.h"
#include "orfeas/profiling/internal/stage_names.h"

#if defined(ORFEAS_WITH_NVTX)
#include <nvtx3/nvToolsExt.h>
#endif

namespace orfeas::profiling {

namespace detail {

struct JobShard {
  mutable std::mutex mutex;
  std::unordered_map<std::uint64_t, std::shared_ptr<JobState>> jobs;  // guarded by mutex
};

}  // namespace detail

namespace {

using detail::Clock;
using detail::ThreadBuffer;

std::atomic<std::uint64_t> g_next_instance{1};

// This thread's buffers, most recently used first: a scope finds its buffer here without touching
// the job table. Keyed by (Profiler instance, job); instances are never reused, so an entry can
// never be mistaken for a later Profiler's job. Entries whose buffer has open scopes are never
// dropped (the scopes point at the buffer); others go once the cache is over kCachedBuffers.
struct CachedBuffer {
  std::uint64_t profiler = 0;
  std::uint64_t job = 0;
  std::shared_ptr<ThreadBuffer> buffer;
};
constexpr std::size_t kCachedBuffers = 8;
thread_local std::vector<CachedBuffer> t_buffers;

void cache_buffer(std::uint64_t profiler, std::uint64_t job, std::shared_ptr<ThreadBuffer> buffer) {
  std::vector<CachedBuffer>& cache = t_buffers;
  if (cache.size() >= kCachedBuffers) {
    const auto idle = std::find_if(cache.rbegin(), cache.rend(),
                                   [](const CachedBuffer& entry) { return entry.buffer->open.empty(); });
    if (idle != cache.rend()) cache.erase(std::next(idle).base());
  }
  cache.insert(cache.begin(), {profiler, job, std::move(buffer)});
}

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

Clock::time_point time_point_of(Clock::rep ticks) {
  return Clock::time_point(Clock::duration(ticks));
}

// A record as end_pipeline took it over.
struct TakenStage {
  const detail::StageRecord* record;
  std::size_t buffer;
  std::int32_t local_index;
  Clock::rep end;  // StageRecord::kOpen: truncated
  std::unique_ptr<GpuInterval> gpu;
  std::optional<std::uint64_t> peak_bytes;
};

// Takes over what a buffer published. Stages still open stay the owner's to close (their end is
// then ignored); with extras, they are claimed so the owner keeps its GPU interval.
void take_records(ThreadBuffer& buffer, std::size_t buffer_index, std::vector<TakenStage>& out) {
  buffer.finished.store(true, std::memory_order_release);
  const std::uint32_t count = buffer.published.load(std::memory_order_acquire);
  const std::lock_guard lock(buffer.chunks_lock);
  for (std::uint32_t i = 0; i < count; ++i) {
    detail::StageRecord& record = buffer.record(i);
    TakenStage& taken = out.emplace_back();
    taken.record = &record;
    taken.buffer = buffer_index;
    taken.local_index = static_cast<std::int32_t>(i);
    if (!record.has_extras) {
      taken.end = record.end.load(std::memory_order_acquire);
      continue;
    }
    std::uint8_t expected = detail::StageRecord::kExtrasOpen;
    if (record.extras.compare_exchange_strong(expected, detail::StageRecord::kExtrasTaken, std::memory_order_acq_rel)) {
      taken.end = detail::StageRecord::kOpen;
      continue;
    }
    // The owner is closing it right now: a few stores away from done.
    while ((taken.end = record.end.load(std::memory_order_acquire)) == detail::StageRecord::kOpen) {
      std::this_thread::yield();
    }
    taken.gpu = std::move(record.gpu);
    taken.peak_bytes = record.peak_bytes;
  }
}

}  // namespace

// --- ActiveStageScope ---------------------------------------------------------------------------

ActiveStageScope::ActiveStageScope(Profiler* profiler, JobId job, std::string_view name, void* stream) {
  if (profiler == nullptr || job == kNoJob) return;
  ThreadBuffer* buffer = profiler->thread_buffer(job);
  // Not running (ended, or never begun): record nothing.
  if (buffer == nullptr || buffer->finished.load(std::memory_order_acquire)) return;
  const std::string* stage_name = internal::intern_stage_name(name);
  const bool top_level = buffer->open.empty();

  // Everything that is not the stage itself happens before the clock starts.
  if (top_level && profiler->options_.memory_watermark) {
    profiler->watermark_enter();
    watermark_ = true;
  }
  if (kNvtx) {
    nvtx_push(*stage_name);
    nvtx_ = true;
  }
  if (stream != nullptr && profiler->options_.gpu_timer) {
    gpu_ = profiler->options_.gpu_timer->begin(stream);
    stream_ = stream;
  }
  index_ = buffer->published.load(std::memory_order_relaxed);  // the owner is the only writer
  if (index_ / ThreadBuffer::kChunkRecords == buffer->chunks.size()) {
    auto chunk = std::make_unique<ThreadBuffer::Chunk>();
    const std::lock_guard lock(buffer->chunks_lock);
    buffer->chunks.push_back(std::move(chunk));
  }
  detail::StageRecord& record = buffer->record(index_);
  record.name = stage_name;
  record.parent = top_level ? -1 : static_cast<std::int32_t>(buffer->open.back());
  record.depth = static_cast<std::uint32_t>(buffer->open.size());
  record.has_extras = gpu_ != nullptr || watermark_;
  record.start = Clock::now().time_since_epoch().count();
  buffer->published.store(index_ + 1, std::memory_order_release);
  buffer->open.push_back(index_);
  buffer_ = buffer;
  profiler_ = profiler;
}

ActiveStageScope::~ActiveStageScope() {
  if (buffer_ == nullptr) return;
  const Clock::rep end = Clock::now().time_since_epoch().count();
  if (gpu_) gpu_->end(stream_);
  std::optional<std::uint64_t> peak;
  if (watermark_) peak = profiler_->watermark_leave();
  if (nvtx_) nvtx_pop();
  std::vector<std::uint32_t>& open = buffer_->open;
  if (!open.empty() && open.back() == index_) {
    open.pop_back();  // the usual case: scopes close innermost first
  } else {
    open.erase(std::find(open.begin(), open.end(), index_));
  }
  detail::StageRecord& record = buffer_->record(index_);
  if (record.has_extras) {
    std::uint8_t expected = detail::StageRecord::kExtrasOpen;
    // Lost to end_pipeline: the stage is truncated, the GPU interval stays here.
    if (!record.extras.compare_exchange_strong(expected, detail::StageRecord::kExtrasWriting,
                                               std::memory_order_acquire)) {
      return;
    }
    record.gpu = std::move(gpu_);
    record.peak_bytes = peak;
  }
  record.end.store(end, std::memory_order_release);
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
    : options_(std::move(options)),
      instance_(g_next_instance.fetch_add(1, std::memory_order_relaxed)),
      shards_(std::make_unique<detail::JobShard[]>(kShardCount)) {}

Profiler::~Profiler() {
  // Buffers may outlive the Profiler in threads' caches (no scope is open: the Profiler outlives
  // its scopes): let go of the GPU intervals of jobs never ended before the GpuTimer goes.
  for (std::size_t i = 0; i < kShardCount; ++i) {
    for (auto& [id, state] : shards_[i].jobs) {
      const std::lock_guard job_lock(state->mutex);
      state->finished = true;
      for (const std::shared_ptr<ThreadBuffer>& buffer : state->buffers) {
        buffer->finished.store(true, std::memory_order_release);
        const std::uint32_t count = buffer->published.load(std::memory_order_acquire);
        const std::lock_guard lock(buffer->chunks_lock);
        for (std::uint32_t r = 0; r < count; ++r) {
          detail::StageRecord& record = buffer->record(r);
          if (record.end.load(std::memory_order_acquire) != detail::StageRecord::kOpen) record.gpu.reset();
        }
      }
    }
  }
}

detail::JobShard& Profiler::shard_for(JobId job) const {
  return shards_[static_cast<std::uint64_t>(job) % kShardCount];
}

ThreadBuffer* Profiler::thread_buffer(JobId job) {
  std::vector<CachedBuffer>& cache = t_buffers;
  const auto key = static_cast<std::uint64_t>(job);
  for (std::size_t i = 0; i < cache.size(); ++i) {
    if (cache[i].job == key && cache[i].profiler == instance_) {
      if (i != 0) std::swap(cache[i], cache[0]);
      return cache[0].buffer.get();
    }
  }
  return find_thread_buffer(job);
}

ThreadBuffer* Profiler::find_thread_buffer(JobId job) {
  std::shared_ptr<detail::JobState> state;
  {
    detail::JobShard& shard = shard_for(job);
    const std::lock_guard lock(shard.mutex);
    const auto it = shard.jobs.find(static_cast<std::uint64_t>(job));
    if (it == shard.jobs.end()) return nullptr;
    state = it->second;
  }
  std::shared_ptr<ThreadBuffer> buffer;
  {
    const std::lock_guard lock(state->mutex);
    if (state->finished) return nullptr;
    // A buffer this thread made before its cache dropped it: scopes it has open are parents.
    const std::thread::id self = std::this_thread::get_id();
    for (const std::shared_ptr<ThreadBuffer>& candidate : state->buffers) {
      if (candidate->owner == self) buffer = candidate;
    }
    if (!buffer) buffer = state->buffers.emplace_back(std::make_shared<ThreadBuffer>(self));
  }
  ThreadBuffer* const raw = buffer.get();
  cache_buffer(instance_, static_cast<std::uint64_t>(job), std::move(buffer));
  return raw;
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
  std::shared_ptr<detail::JobState> state;
  {
    detail::JobShard& shard = shard_for(job);
    const std::lock_guard lock(shard.mutex);
    const auto it = shard.jobs.find(static_cast<std::uint64_t>(job));
    if (it == shard.jobs.end()) {
      return make_error(ErrorCode::kNotFound,
                        fmt::format("profiler: job {} is not running", static_cast<std::uint64_t>(job)));
    }
    state = std::move(it->second);
    shard.jobs.erase(it);
  }
  std::vector<std::shared_ptr<ThreadBuffer>> buffers;
  {
    const std::lock_guard lock(state->mutex);
    state->finished = true;
    buffers = std::move(state->buffers);
  }
  std::vector<TakenStage> taken;
  for (std::size_t b = 0; b < buffers.size(); ++b) take_records(*buffers[b], b, taken);
  // After the hand-over, so every stage taken started before the job's end.
  const Clock::time_point end = Clock::now();
  // In the order opened: by start time across threads (a parent starts no later than its children
  // and precedes them in its own buffer, which the stable sort keeps).
  if (buffers.size() > 1) {
    std::stable_sort(taken.begin(), taken.end(),
                     [](const TakenStage& a, const TakenStage& b) { return a.record->start < b.record->start; });
  }

  PipelineProfile profile;
  profile.job = state->id;
  profile.job_name = state->name;
  profile.started_at_seconds = seconds(state->start - epoch_);
  profile.total_seconds = seconds(end - state->start);
  // Where each buffer's records landed in the profile, for their children's parent indices.
  std::vector<std::vector<std::int32_t>> position(buffers.size());
  for (std::size_t b = 0; b < buffers.size(); ++b) {
    position[b].resize(buffers[b]->published.load(std::memory_order_relaxed));
  }
  profile.stages.reserve(taken.size());
  for (TakenStage& t : taken) {
    const detail::StageRecord& record = *t.record;
    const bool closed = t.end != detail::StageRecord::kOpen;
    const Clock::time_point start = time_point_of(record.start);
    position[t.buffer][static_cast<std::size_t>(t.local_index)] = static_cast<std::int32_t>(profile.stages.size());
    StageProfile& stage = profile.stages.emplace_back();
    stage.name = *record.name;
    stage.parent = record.parent < 0 ? -1 : position[t.buffer][static_cast<std::size_t>(record.parent)];
    stage.depth = record.depth;
    stage.start_ms = milliseconds(start - state->start);
    stage.wall_ms = milliseconds((closed ? time_point_of(t.end) : end) - start);
    stage.truncated = !closed;
    // The only place GPU time is read; it may wait for the device to reach the end marker.
    if (t.gpu) stage.gpu_ms = t.gpu->elapsed_ms();
    stage.peak_device_bytes = t.peak_bytes;
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
