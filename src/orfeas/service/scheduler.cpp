#include "orfeas/service/scheduler.h"

#include <algorithm>
#include <exception>
#include <map>
#include <new>
#include <utility>

#include <fmt/format.h>

#include "orfeas/core/parallel.h"
#include "orfeas/gpu/cuda_runtime.h"
#include "orfeas/gpu/host_memory_pool.h"
#include "orfeas/pipeline/batch_fitter.h"
#include "orfeas/shape/hunyuan3d_backend.h"

namespace orfeas::service {

using Clock = std::chrono::steady_clock;

struct Scheduler::Worker {
  gpu::DeviceSpec spec;
  shape::Hunyuan3DSettings hunyuan3d;  // the service's model, for jobs that ask for hunyuan3d
  std::string name;                    // "cpu", "cuda:0"
  std::vector<std::string> accepts;    // the job device preferences it takes
  // Declared in the order they are needed, so the pipelines go first, the pool last.
  std::unique_ptr<gpu::MemoryPool> pool;
  std::unique_ptr<gpu::GpuOptimizer> optimizer;
  std::unique_ptr<pipeline::BatchFitter> fitter;
  std::mutex pipelines_mutex;
  std::map<std::pair<std::string, int>, std::unique_ptr<pipeline::Pipeline>> pipelines;  // (backend, resolution)
  gpu::JobConfig default_config;
  std::atomic<bool> up{false};
  std::atomic<std::size_t> in_flight{0};
  std::atomic<std::size_t> batches_run{0};

  // The worker's pipeline for these parameters, made on first use. Pipelines are immutable, so
  // both slots may run batches through one at once.
  Result<const pipeline::Pipeline*> pipeline_for(const jobs::GenerationParams& params) {
    const std::lock_guard lock(pipelines_mutex);
    auto& slot = pipelines[{params.backend, params.resolution}];
    if (slot == nullptr) {
      pipeline::PipelineOptions options;
      options.backend = params.backend;
      options.shape.resolution = params.resolution;
      options.shape.hunyuan3d = hunyuan3d;
      options.device = spec;
      options.pool = pool.get();
      Result<std::unique_ptr<pipeline::Pipeline>> made = pipeline::Pipeline::create(options);
      if (!made) {
        pipelines.erase({params.backend, params.resolution});
        return tl::unexpected(made.error().with_context(
            fmt::format("while preparing the {} r{} pipeline on {}", params.backend, params.resolution, name)));
      }
      slot = std::move(*made);
    }
    return slot.get();
  }
};

Result<std::unique_ptr<Scheduler>> Scheduler::create(SchedulerOptions options, jobs::JobStore& store,
                                                     JobLifecycle& lifecycle, ServiceMetrics& metrics) {
  if (options.devices.empty()) return make_error(ErrorCode::kInvalidArgument, "the scheduler needs a device");
  if (options.slots_per_worker == 0) return make_error(ErrorCode::kInvalidArgument, "a worker needs a slot");
  if (options.worker_nice < 0 || options.worker_nice > 19) {
    return make_error(ErrorCode::kInvalidArgument, fmt::format("worker_nice is 0..19, not {}", options.worker_nice));
  }
  std::unique_ptr<Scheduler> scheduler(new Scheduler(std::move(options), store, lifecycle, metrics));
  for (const gpu::DeviceSpec& spec : scheduler->options_.devices) {
    auto worker = std::make_unique<Worker>();
    worker->spec = spec;
    worker->hunyuan3d = scheduler->options_.hunyuan3d;
    worker->name = gpu::device_name(spec);
    gpu::GpuOptimizer::Options optimizer_options;
    if (spec.kind == gpu::DeviceKind::kCuda) {
      worker->accepts = {"auto", "cuda", worker->name};
      ORFEAS_ASSIGN_OR_RETURN_CTX(worker->pool, gpu::create_cuda_memory_pool(spec.ordinal), worker->name);
      optimizer_options.probe =
          scheduler->options_.probe != nullptr ? scheduler->options_.probe : gpu::create_default_probe();
      optimizer_options.device = static_cast<std::uint32_t>(spec.ordinal);
    } else {
      worker->accepts = {"auto", "cpu"};
      ORFEAS_ASSIGN_OR_RETURN(worker->pool,
                              gpu::HostMemoryPool::create({.capacity_bytes = scheduler->options_.cpu_pool_bytes}));
    }
    optimizer_options.pool = worker->pool.get();
    ORFEAS_ASSIGN_OR_RETURN(worker->optimizer, gpu::GpuOptimizer::create(std::move(optimizer_options)));
    // A calibration file that does not load never stops the service; the optimizer starts afresh.
    if (!scheduler->options_.calibration_dir.empty()) {
      (void)worker->optimizer->load_calibration(scheduler->options_.calibration_dir);
    }
    worker->fitter = std::make_unique<pipeline::BatchFitter>(*worker->optimizer, *worker->pool);
    ORFEAS_ASSIGN_OR_RETURN(const pipeline::Pipeline* defaults, worker->pipeline_for(jobs::GenerationParams{}));
    worker->default_config = defaults->job_config();
    // The service's model is loaded now, once per device, so that a bad folder stops the start and
    // the first job does not wait for the weights; this pipeline keeps them for the service's life.
    if (!worker->hunyuan3d.model_dir.empty()) {
      jobs::GenerationParams params;
      params.backend = std::string(shape::kHunyuan3DBackendName);
      ORFEAS_ASSIGN_OR_RETURN(const pipeline::Pipeline* model, worker->pipeline_for(params));
      if (auto load = model->backend().model_load()) scheduler->model_loads_.push_back(std::move(*load));
    }
    scheduler->workers_.push_back(std::move(worker));
  }
  return scheduler;
}

Scheduler::Scheduler(SchedulerOptions options, jobs::JobStore& store, JobLifecycle& lifecycle, ServiceMetrics& metrics)
    : options_(std::move(options)), store_(store), lifecycle_(lifecycle), metrics_(metrics) {}

Scheduler::~Scheduler() {
  stop_claiming();
  join();
}

void Scheduler::start() {
  const std::lock_guard lock(mutex_);
  if (started_ || stopping_) return;
  started_ = true;
  for (const auto& worker : workers_) {
    worker->up = true;
    for (std::size_t i = 0; i < options_.slots_per_worker; ++i) {
      threads_.emplace_back([this, w = worker.get()] { slot_loop(*w); });
    }
  }
}

void Scheduler::notify() {
  {
    const std::lock_guard lock(mutex_);
    ++notifications_;
  }
  wake_.notify_all();
}

void Scheduler::stop_claiming() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
}

bool Scheduler::wait_idle(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return idle_.wait_for(lock, timeout, [&] { return in_flight_ == 0; });
}

void Scheduler::join() {
  std::vector<std::thread> threads;
  {
    const std::lock_guard lock(mutex_);
    threads.swap(threads_);
  }
  for (std::thread& thread : threads) thread.join();
  for (const auto& worker : workers_) worker->up = false;
}

bool Scheduler::serves(std::string_view device) const {
  return std::any_of(workers_.begin(), workers_.end(), [&](const auto& worker) {
    return std::find(worker->accepts.begin(), worker->accepts.end(), device) != worker->accepts.end();
  });
}

std::vector<WorkerStatus> Scheduler::workers() const {
  std::vector<WorkerStatus> out;
  for (const auto& worker : workers_) {
    out.push_back({worker->name, worker->up.load(), worker->in_flight.load(), worker->batches_run.load(),
                   worker->optimizer.get(), worker->default_config});
  }
  return out;
}

const std::vector<shape::ModelLoad>& Scheduler::model_loads() const {
  return model_loads_;
}

std::size_t Scheduler::worker_count() const {
  return workers_.size();
}

bool Scheduler::started() const {
  const std::lock_guard lock(mutex_);
  return started_;
}

bool Scheduler::wait_for_work(Clock::time_point until) {
  std::unique_lock lock(mutex_);
  const std::uint64_t seen = notifications_;
  wake_.wait_until(lock, until, [&] { return stopping_ || notifications_ != seen; });
  return !stopping_;
}

void Scheduler::slot_loop(Worker& worker) {
  const BackgroundLoops background(options_.worker_nice);  // this thread and its loops' helpers
  // Another process sharing the store may queue jobs without notifying: look again now and then.
  constexpr auto kIdlePoll = std::chrono::seconds(1);
  std::string filling_key;  // the batch key this slot waits to fill, and since when
  Clock::time_point filling_since;
  for (;;) {
    {
      const std::lock_guard lock(mutex_);
      if (stopping_) return;
    }
    Result<std::optional<jobs::QueueHead>> head = store_.queue_head(worker.accepts);
    if (!head || !head->has_value()) {
      if (!wait_for_work(Clock::now() + kIdlePoll)) return;
      continue;
    }
    const jobs::QueueHead& next = **head;
    Result<const pipeline::Pipeline*> pipeline = worker.pipeline_for(next.params);
    std::size_t wanted = 1;
    if (pipeline) {
      wanted = std::max<std::size_t>(
          1, worker.optimizer->recommend_batch((*pipeline)->job_config(), gpu::GpuOptimizer::Options{}.max_batch)
                 .recommended);
    }
    if (static_cast<std::size_t>(next.queued_with_key) < wanted) {
      const Clock::time_point now = Clock::now();
      if (filling_key != next.batch_key) {
        filling_key = next.batch_key;
        filling_since = now;
      }
      if (now < filling_since + options_.max_queue_delay) {
        if (!wait_for_work(filling_since + options_.max_queue_delay)) return;
        continue;
      }
    }
    filling_key.clear();

    Result<std::vector<jobs::Job>> batch =
        lifecycle_.claim(next.batch_key, static_cast<int>(std::min<std::size_t>(wanted, 1024)), worker.name);
    if (!batch) {
      // The store refused (busy, or broken): try again a little later rather than spin.
      if (!wait_for_work(Clock::now() + kIdlePoll)) return;
      continue;
    }
    if (batch->empty()) continue;  // another slot took them
    {
      const std::lock_guard lock(mutex_);
      ++in_flight_;
    }
    ++worker.in_flight;
    if (pipeline) {
      run_claimed(worker, **pipeline, std::move(*batch));
    } else {
      for (const jobs::Job& job : *batch) lifecycle_.finish(job, {tl::unexpected(pipeline.error()), {}});
    }
    --worker.in_flight;
    {
      const std::lock_guard lock(mutex_);
      --in_flight_;
    }
    idle_.notify_all();
  }
}

void Scheduler::run_claimed(Worker& worker, const pipeline::Pipeline& pipeline, std::vector<jobs::Job> batch) {
  std::vector<bool> finished(batch.size(), false);
  const auto fail_unfinished = [&](ErrorCode code, const std::string& message) {
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (finished[i]) continue;
      finished[i] = true;
      lifecycle_.finish(batch[i], {make_error(code, message), {}});
    }
  };
  try {
    std::vector<pipeline::Job> runnable;
    std::vector<std::size_t> index;  // into batch
    for (std::size_t i = 0; i < batch.size(); ++i) {
      Result<pipeline::Job> job = lifecycle_.prepare(batch[i]);
      if (!job) {
        finished[i] = true;
        lifecycle_.finish(batch[i], {tl::unexpected(job.error()), {}});
        continue;
      }
      runnable.push_back(std::move(*job));
      index.push_back(i);
    }
    pipeline::FitHooks hooks;
    hooks.on_out_of_memory = [&](std::size_t, const gpu::OomDecision&) { metrics_.oom_retry(); };
    hooks.on_batch = [&](std::size_t size) {
      metrics_.batch_run(size);
      ++worker.batches_run;
    };
    pipeline::FittedBatch run = worker.fitter->run(pipeline, runnable, hooks);
    for (std::size_t n = 0; n < runnable.size(); ++n) {
      finished[index[n]] = true;
      lifecycle_.finish(batch[index[n]], std::move(run.results[n]));
    }
  } catch (const std::bad_alloc&) {
    fail_unfinished(ErrorCode::kOutOfMemory,
                    fmt::format("out of host memory while running a batch on {}", worker.name));
  } catch (const std::exception& e) {
    fail_unfinished(ErrorCode::kInternal, fmt::format("while running a batch on {}: {}", worker.name, e.what()));
  } catch (...) {
    fail_unfinished(ErrorCode::kInternal, fmt::format("while running a batch on {}: unknown exception", worker.name));
  }
}

}  // namespace orfeas::service
