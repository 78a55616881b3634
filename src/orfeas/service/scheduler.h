// Scheduler (internal to the service): one worker per device, each claiming batches of queued jobs
// from the job store and running them through Pipeline::run_batch, fitted to the device.
//
//   Scheduler::create(options, store, lifecycle, metrics) → start() … stop_claiming();
//   wait_idle(grace); join();
//
// A worker has its own memory pool (the device's, or the host twin on the CPU), GpuOptimizer and
// BatchFitter, and one Pipeline per (backend, resolution), made on first use and kept. It runs two
// slots — threads that each claim and run a batch — so one batch's CPU stages (decode, clean-up,
// export) overlap the other's device work.
//
// A slot: looks at the job that runs next among those this worker may take (job device "auto", its
// kind, or its own name); sizes a batch with the optimizer's recommendation for that job's
// configuration; when fewer jobs with that batch key are queued, waits for more up to
// max_queue_delay (a submission wakes it), then claims what there is through the lifecycle
// (priority first, then age: the store's order) and runs it. Jobs of one batch key may differ in
// size_mm, face budget and format: those are per-job settings of the pipeline.
//
// Priority: with worker_nice > 0 each slot thread, and the parallel_for helpers of its loops, run
// at that nice value for the slot's lifetime (ServiceOptions::worker_nice says why).
//
// Nothing a batch throws leaves a slot: a batch that throws fails its unfinished jobs (kOutOfMemory
// for bad_alloc, kInternal otherwise) and the slot goes on.
// Thread-safety: every method may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "orfeas/core/status.h"
#include "orfeas/gpu/device.h"
#include "orfeas/gpu/device_probe.h"
#include "orfeas/gpu/optimizer.h"
#include "orfeas/jobs/job.h"
#include "orfeas/jobs/job_store.h"
#include "orfeas/pipeline/pipeline.h"
#include "orfeas/service/metrics.h"
#include "orfeas/shape/shape_backend.h"

namespace orfeas::service {

// What the scheduler asks of the service for each job; implemented by the service.
class JobLifecycle {
 public:
  virtual ~JobLifecycle() = default;
  // Claims up to `max_jobs` queued jobs with `batch_key` for the worker on `device`, marks them
  // running, and publishes their `started` events, in claim order. Empty when none is left.
  [[nodiscard]] virtual Result<std::vector<jobs::Job>> claim(std::string_view batch_key, int max_jobs,
                                                             std::string_view device) = 0;
  // The pipeline job for a claimed job (paths, per-job settings, progress, profiler, stop check).
  // An error ends the job at once (finish() hears it).
  [[nodiscard]] virtual Result<pipeline::Job> prepare(const jobs::Job& job) = 0;
  // The end of a claimed job's run: completed, failed, stopped.
  virtual void finish(const jobs::Job& job, pipeline::JobResult result) = 0;
};

struct SchedulerOptions {
  std::vector<gpu::DeviceSpec> devices;  // one worker each
  std::chrono::milliseconds max_queue_delay{50};
  std::shared_ptr<gpu::DeviceProbe> probe;  // CUDA workers' optimizers (null: NVML's)
  std::uint64_t cpu_pool_bytes = 0;         // the CPU worker's pool capacity; 0: unlimited
  std::filesystem::path calibration_dir;    // where the optimizers keep gpu_calibration.json; empty: memory only
  std::size_t slots_per_worker = 2;         // batches in flight per worker
  // The slots' nice value (0..19), and their pool helpers' (core/parallel.h BackgroundLoops); 0: unchanged.
  int worker_nice = 0;
  // The hunyuan3d backend's model and settings, for jobs that ask for it (its weights are loaded
  // once per device and dtype and shared by that worker's pipelines).
  shape::Hunyuan3DSettings hunyuan3d;
};

struct WorkerStatus {
  std::string device;
  bool up = false;
  std::size_t batches_in_flight = 0;
  std::size_t batches_run = 0;
  gpu::GpuOptimizer* optimizer = nullptr;  // lives as long as the scheduler
  gpu::JobConfig config;                   // of the default GenerationParams on this device
};

class Scheduler {
 public:
  // Makes every worker's pool, optimizer and default pipeline (kUnavailable when a device is not
  // there); starts no thread. `store`, `lifecycle` and `metrics` are borrowed and must outlive it.
  [[nodiscard]] static Result<std::unique_ptr<Scheduler>> create(SchedulerOptions options, jobs::JobStore& store,
                                                                 JobLifecycle& lifecycle, ServiceMetrics& metrics);
  ~Scheduler();  // stop_claiming() and join()
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  void start();          // the slots begin claiming; idempotent, and a no-op once stopped
  void notify();         // a job was queued: wake the slots waiting for work or for a batch to fill
  void stop_claiming();  // slots finish their batch and claim no more
  // Waits until no batch is in flight, at most `timeout`; true when idle.
  [[nodiscard]] bool wait_idle(std::chrono::milliseconds timeout);
  void join();  // after stop_claiming(): waits for every slot to end

  // Whether a worker takes jobs whose device preference is `device` ("auto", "cpu", "cuda", "cuda:N").
  [[nodiscard]] bool serves(std::string_view device) const;
  [[nodiscard]] std::vector<WorkerStatus> workers() const;
  [[nodiscard]] std::size_t worker_count() const;
  // The service's Hunyuan3D-2 model as each device's worker loaded it at create(); empty without one.
  [[nodiscard]] const std::vector<shape::ModelLoad>& model_loads() const;
  [[nodiscard]] bool started() const;

 private:
  struct Worker;
  Scheduler(SchedulerOptions options, jobs::JobStore& store, JobLifecycle& lifecycle, ServiceMetrics& metrics);
  void slot_loop(Worker& worker);
  void run_claimed(Worker& worker, const pipeline::Pipeline& pipeline, std::vector<jobs::Job> batch);
  // Waits on the condition at most until `until` or a notify()/stop; false when stopping.
  bool wait_for_work(std::chrono::steady_clock::time_point until);

  SchedulerOptions options_;
  jobs::JobStore& store_;    // borrowed
  JobLifecycle& lifecycle_;  // borrowed
  ServiceMetrics& metrics_;  // borrowed
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<shape::ModelLoad> model_loads_;  // fixed after create()

  mutable std::mutex mutex_;
  std::condition_variable wake_;      // work queued, or stopping
  std::condition_variable idle_;      // a batch ended
  std::uint64_t notifications_ = 0;   // guarded by mutex_
  bool started_ = false;              // guarded by mutex_
  bool stopping_ = false;             // guarded by mutex_
  std::size_t in_flight_ = 0;         // guarded by mutex_
  std::vector<std::thread> threads_;  // guarded by mutex_ (started and joined once)
};

}  // namespace orfeas::service
