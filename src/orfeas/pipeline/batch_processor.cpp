#include "orfeas/pipeline/batch_processor.h"

#include <chrono>
#include <deque>
#include <string>
#include <utility>

#include "orfeas/core/parallel.h"
#include "orfeas/gpu/cuda_runtime.h"
#include "orfeas/mesh/normals.h"
#include "orfeas/pipeline/stage_clock.h"
#include "orfeas/shape/inflate_backend.h"
#if defined(ORFEAS_MESH_CUDA)
#include "orfeas/mesh/cuda/inflated_surfaces.h"
#endif

namespace orfeas::pipeline {
namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

struct BatchProcessor::DeviceState {
  std::unique_ptr<gpu::MemoryPool> pool;
  std::unique_ptr<gpu::Stream> stream;
};

Result<Device> parse_device(std::string_view name) {
  if (name == "cpu") return Device::kCpu;
  if (name == "cuda") return Device::kCuda;
  return make_error(ErrorCode::kInvalidArgument, "unknown device '" + std::string(name) + "' (expected cpu or cuda)");
}

Result<std::unique_ptr<BatchProcessor>> BatchProcessor::create(BatchOptions options) {
  ORFEAS_ASSIGN_OR_RETURN(auto pipeline, Pipeline::create(options.pipeline));
  std::unique_ptr<DeviceState> device;
  if (options.device == Device::kCuda) {
    device = std::make_unique<DeviceState>();
    ORFEAS_ASSIGN_OR_RETURN(device->pool, gpu::create_cuda_memory_pool(options.cuda_device));
    ORFEAS_ASSIGN_OR_RETURN(device->stream, gpu::create_cuda_stream(options.cuda_device));
  }
  gpu::GpuOptimizer::Options optimizer_options;
  optimizer_options.probe = gpu::create_default_probe();
  optimizer_options.pool = device ? device->pool.get() : nullptr;
  optimizer_options.device = static_cast<std::uint32_t>(options.cuda_device);
  if (!device) optimizer_options.probe = nullptr;  // CPU jobs are sized from system memory
  ORFEAS_ASSIGN_OR_RETURN(auto optimizer, gpu::GpuOptimizer::create(std::move(optimizer_options)));
  if (!options.data_dir.empty()) ORFEAS_RETURN_IF_ERROR(optimizer->load_calibration(options.data_dir));
  return std::unique_ptr<BatchProcessor>(
      new BatchProcessor(std::move(options), std::move(pipeline), std::move(device), std::move(optimizer)));
}

BatchProcessor::BatchProcessor(BatchOptions options, std::unique_ptr<Pipeline> pipeline,
                               std::unique_ptr<DeviceState> device, std::unique_ptr<gpu::GpuOptimizer> optimizer)
    : options_(std::move(options)),
      pipeline_(std::move(pipeline)),
      device_(std::move(device)),
      optimizer_(std::move(optimizer)) {}

BatchProcessor::~BatchProcessor() = default;

gpu::MemoryPool* BatchProcessor::memory_pool() const {
  return device_ ? device_->pool.get() : nullptr;
}

gpu::JobConfig BatchProcessor::job_config() const {
  gpu::JobConfig config;
  config.backend = options_.pipeline.backend;
  config.grid_resolution = static_cast<std::uint32_t>(options_.pipeline.shape.resolution);
  return config;
}

std::vector<JobOutcome> BatchProcessor::run(const std::vector<BatchJob>& jobs,
                                            const std::function<void(const JobOutcome&)>& on_job) {
  std::vector<JobOutcome> outcomes;
  outcomes.reserve(jobs.size());
  const gpu::JobConfig config = job_config();
  std::deque<BatchJob> queue(jobs.begin(), jobs.end());
  // Halves of a batch that ran out of memory, tried before anything new.
  std::deque<std::vector<BatchJob>> retries;
  while (!queue.empty() || !retries.empty()) {
    std::vector<BatchJob> taken;
    if (!retries.empty()) {
      taken = std::move(retries.front());
      retries.pop_front();
    } else {
      const std::size_t wanted =
          options_.batch_size > 0 ? options_.batch_size : optimizer_->recommend_batch(config, queue.size()).recommended;
      const std::size_t size = std::max<std::size_t>(1, std::min(wanted, queue.size()));
      for (std::size_t i = 0; i < size; ++i) {
        taken.push_back(std::move(queue.front()));
        queue.pop_front();
      }
    }
    std::vector<JobOutcome> batch;
    for (auto& job : taken) batch.push_back(JobOutcome{std::move(job), ok(), {}, batches_run_});
    const auto start = std::chrono::steady_clock::now();
    bool batch_ok = true;
    if (device_) {
      const Status status = run_device_batch(batch);
      if (!status && status.error().code() == ErrorCode::kOutOfMemory) {
        const gpu::OomDecision decision = optimizer_->on_out_of_memory(config, batch.size());
        optimizer_->record_batch(config, batch.size(), seconds_since(start), false);
        if (decision.split) {
          std::vector<BatchJob> first;
          std::vector<BatchJob> second;
          for (std::size_t i = 0; i < batch.size(); ++i) {
            (i < decision.first_batch ? first : second).push_back(std::move(batch[i].job));
          }
          retries.push_front(std::move(second));
          retries.push_front(std::move(first));
          continue;
        }
        batch.front().status = status;  // a single item that does not fit
      }
      batch_ok = status.has_value();
    } else {
      run_cpu_batch(batch);
    }
    if (batch_ok) optimizer_->record_batch(config, batch.size(), seconds_since(start), true);
    ++batches_run_;
    for (auto& outcome : batch) {
      if (on_job) on_job(outcome);
      outcomes.push_back(std::move(outcome));
    }
  }
  return outcomes;
}

void BatchProcessor::run_cpu_batch(std::vector<JobOutcome>& batch) {
  // The optimizer sizes CPU batches to the worker threads: the jobs run side by side.
  parallel_for(0, batch.size(), 1, [&](std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) {
      JobOutcome& outcome = batch[i];
      profiling::Profiler* profiler = options_.profiler;
      const profiling::JobId job =
          profiler != nullptr ? profiler->begin_pipeline(outcome.job.input.filename().string()) : profiling::kNoJob;
      auto report = pipeline_->generate(outcome.job.input, outcome.job.output, outcome.job.format,
                                        RunContext{.progress = options_.progress, .profiler = profiler, .job = job});
      if (profiler != nullptr) (void)profiler->end_pipeline(job);
      if (report) {
        outcome.report = std::move(*report);
      } else {
        outcome.status = tl::unexpected(report.error());
      }
    }
  });
}

Status BatchProcessor::run_device_batch(std::vector<JobOutcome>& batch) {
#if defined(ORFEAS_MESH_CUDA)
  profiling::Profiler* profiler = options_.profiler;
  const auto clock = [] { return std::chrono::steady_clock::now(); };
  struct Item {
    JobOutcome* outcome = nullptr;  // borrowed from `batch`
    profiling::JobId job = profiling::kNoJob;
    image::PreprocessedImage image;
    shape::InflateField field;
    std::chrono::steady_clock::time_point start;
  };
  std::vector<Item> items;
  const auto finish = [&](Item& item) {
    if (profiler != nullptr) (void)profiler->end_pipeline(item.job);
  };
  // CPU: decode, mask, recentre and the in-plane field of every job; a job failing here is
  // reported and left out of the device batch.
  // Jobs are independent: prepare them side by side (each stage is parallel inside too).
  std::vector<Item> prepared_items(batch.size());
  std::vector<char> ready(batch.size(), 0);
  parallel_for(0, batch.size(), 1, [&](std::size_t begin, std::size_t end) {
    for (std::size_t b = begin; b < end; ++b) {
      JobOutcome& outcome = batch[b];
      Item& item = prepared_items[b];
      item.outcome = &outcome;
      item.start = clock();
      item.job =
          profiler != nullptr ? profiler->begin_pipeline(outcome.job.input.filename().string()) : profiling::kNoJob;
      const RunContext context{.progress = {}, .profiler = profiler, .job = item.job};
      StageClock stages(context, outcome.report.stages);
      Status prepared = check_output_path(outcome.job.output);
      if (prepared) {
        auto image = stages.run(kImagePreprocessing, [&] { return pipeline_->image_preprocessing(outcome.job.input); });
        if (image) {
          item.image = std::move(*image);
          auto field = stages.run(kShapeGeneration, [&] {
            return shape::compute_inflate_field(item.image.canvas, item.image.mask, options_.pipeline.shape);
          });
          if (field) {
            item.field = std::move(*field);
          } else {
            prepared = tl::unexpected(field.error());
          }
        } else {
          prepared = tl::unexpected(image.error());
        }
      }
      if (!prepared) {
        outcome.status = prepared;
        finish(item);
        continue;
      }
      ready[b] = 1;
    }
  });
  for (std::size_t b = 0; b < batch.size(); ++b) {
    if (ready[b] != 0) items.push_back(std::move(prepared_items[b]));
  }
  if (items.empty()) return ok();

  // Device: every item's volume and surface at once, timed per job on the stream.
  std::vector<const shape::InflateField*> fields;
  for (const Item& item : items) fields.push_back(&item.field);
  gpu::MemoryPool& pool = *device_->pool;
  pool.reset_peak();
  const std::uint64_t before = pool.stats().allocated_bytes;
  Result<std::vector<mesh::Mesh>> meshes = make_error(ErrorCode::kInternal, "not run");
  const auto device_start = clock();
  {
    std::vector<std::unique_ptr<profiling::StageScope>> scopes;
    for (const Item& item : items) {
      scopes.push_back(
          std::make_unique<profiling::StageScope>(profiler, item.job, kDeviceSurfaceStage, device_->stream->native()));
    }
    meshes = mesh::extract_inflated_surfaces_cuda(fields, {}, pool, device_->stream->native());
  }
  const double device_seconds = seconds_since(device_start);
  if (!meshes) {
    for (Item& item : items) finish(item);
    if (meshes.error().code() == ErrorCode::kOutOfMemory) return tl::unexpected(meshes.error());
    for (Item& item : items) item.outcome->status = tl::unexpected(meshes.error());
    return ok();
  }
  const gpu::JobConfig config = job_config();
  (void)optimizer_->record_measurement(config, items.size(), pool.stats().peak_allocated_bytes - before);

  // CPU again: normals, clean-up, colours, export; jobs side by side.
  parallel_for(0, items.size(), 1, [&](std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) {
      Item& item = items[i];
      JobOutcome& outcome = *item.outcome;
      mesh::Mesh surface = std::move((*meshes)[i]);
      outcome.report.stages.push_back({std::string(kDeviceSurfaceStage), device_seconds});
      const RunContext context{.progress = {}, .profiler = profiler, .job = item.job};
      StageClock stages(context, outcome.report.stages);
      Status status = surface.empty() ? Status(make_error(ErrorCode::kNoForeground,
                                                          "the shape is too small for the grid: no surface was found"))
                                      : ok();
      if (status) {
        status = stages.run(kPostProcessing, [&]() -> Status {
          mesh::compute_vertex_normals(surface);
          ORFEAS_ASSIGN_OR_RETURN(outcome.report.post, pipeline_->post_processing(surface));
          return ok();
        });
      }
      if (status)
        status = stages.run(kTextureSynthesis,
                            [&]() -> Status { return pipeline_->texture_synthesis(surface, item.image); });
      if (status) {
        status = stages.run(kExport, [&]() -> Status {
          return pipeline_->export_mesh(surface, outcome.job.output, outcome.job.format);
        });
      }
      outcome.status = status;
      outcome.report.output = outcome.job.output;
      outcome.report.format = outcome.job.format;
      outcome.report.vertices = surface.positions.size();
      outcome.report.faces = surface.triangles.size();
      outcome.report.total_seconds = seconds_since(item.start);
      finish(item);
    }
  });
  return ok();
#else
  (void)batch;
  return make_error(ErrorCode::kUnavailable, "this build has no CUDA support");
#endif
}

}  // namespace orfeas::pipeline
