// The original ORFEAS studio's routes (its Flask backend, backend/main.py of
// apapadopoulos22/orfeas-ai-studio) with its field names, over the Service, so its web client keeps
// working: upload an image (an id comes back), start generation with that id, poll the status
// with the same id, download `output_file`.
//
// The studio uploads before it chooses parameters, so an upload is staged here, in memory, until
// /api/generate-3d submits it; the studio then keeps using the upload's id, which maps to the job's
// own id. Staged uploads and that mapping live in memory (bounded, an hour at most): after a restart
// the job is still there under its own id (which every route here also accepts), the upload id is not.
#include <algorithm>
#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "orfeas/export/threemf.h"
#include "orfeas/image/decode.h"
#include "orfeas/service/api.h"
#include "orfeas/shape/shape_backend.h"

namespace orfeas::service {
namespace {

using nlohmann::json;
using serve::Method;
using serve::PathParams;
using serve::Request;
using serve::Response;

constexpr std::size_t kMaxStagedUploads = 64;
constexpr std::size_t kMaxStagedBytes = std::size_t{256} << 20;
constexpr std::size_t kMaxAliases = 10'000;
constexpr std::int64_t kStagedLifetimeMs = 60 * 60 * 1000;

std::string dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A client's file name reduced to letters, digits, '.', '-', '_' (at most 100): for echoing only.
std::string sanitized_filename(std::string_view name) {
  if (const std::size_t slash = name.find_last_of("/\\"); slash != std::string_view::npos)
    name.remove_prefix(slash + 1);
  std::string out;
  for (const char c : name) {
    if (out.size() == 100) break;
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
    out += ok ? c : '_';
  }
  while (!out.empty() && out.front() == '.') out.erase(0, 1);
  return out.empty() ? "upload" : out;
}

std::string studio_status(jobs::JobStatus status) {
  switch (status) {
    case jobs::JobStatus::kQueued:
      return "queued";
    case jobs::JobStatus::kRunning:
      return "processing";
    case jobs::JobStatus::kCompleted:
      return "completed";
    case jobs::JobStatus::kFailed:
      return "failed";
    case jobs::JobStatus::kCancelled:
      return "cancelled";
  }
  return "failed";
}

// The studio's "quality" of a batch: low, medium, high, or 1–10 as /api/generate-3d takes it.
Result<int> batch_quality(std::string_view text) {
  if (text == "low") return 3;
  if (text == "medium") return 5;
  if (text == "high") return 8;
  ORFEAS_ASSIGN_OR_RETURN(const long long quality, parse_integer_field("quality", text, 1, 10));
  return static_cast<int>(quality);
}

class StudioState {
 public:
  struct Staged {
    std::string bytes;
    std::int64_t at_ms = 0;
  };

  void stage(const std::string& id, std::string bytes) {
    const std::lock_guard lock(mutex_);
    forget_old(now_ms());
    while (!order_.empty() && (staged_.size() >= kMaxStagedUploads || staged_bytes_ + bytes.size() > kMaxStagedBytes))
      drop(order_.front());
    staged_bytes_ += bytes.size();
    staged_[id] = {std::move(bytes), now_ms()};
    order_.push_back(id);
  }

  // Takes a staged upload out (so it is submitted once); nullopt when unknown or expired.
  std::optional<std::string> take(const std::string& id) {
    const std::lock_guard lock(mutex_);
    forget_old(now_ms());
    const auto it = staged_.find(id);
    if (it == staged_.end()) return std::nullopt;
    std::string bytes = std::move(it->second.bytes);
    drop(id);
    return bytes;
  }

  // Puts an upload back when its submission failed, so the client may retry with other values.
  void restore(const std::string& id, std::string bytes) { stage(id, std::move(bytes)); }

  void alias(const std::string& upload_id, const std::string& job_id) {
    const std::lock_guard lock(mutex_);
    if (aliases_.size() >= kMaxAliases) {
      aliases_.erase(alias_order_.front());
      alias_order_.pop_front();
    }
    aliases_[upload_id] = job_id;
    alias_order_.push_back(upload_id);
  }

  // The job id an id stands for: the job of a generated upload, else the id itself.
  std::string resolve(const std::string& id) const {
    const std::lock_guard lock(mutex_);
    const auto it = aliases_.find(id);
    return it == aliases_.end() ? id : it->second;
  }

  bool generated(const std::string& upload_id) const {
    const std::lock_guard lock(mutex_);
    return aliases_.count(upload_id) != 0;
  }

 private:
  void drop(const std::string& id) {
    const auto it = staged_.find(id);
    if (it != staged_.end()) {
      staged_bytes_ -= it->second.bytes.size();
      staged_.erase(it);
    }
    std::erase(order_, id);
  }
  void forget_old(std::int64_t now) {
    while (!order_.empty() && now - staged_.at(order_.front()).at_ms > kStagedLifetimeMs) drop(order_.front());
  }

  mutable std::mutex mutex_;
  std::map<std::string, Staged, std::less<>> staged_;
  std::deque<std::string> order_;  // oldest first
  std::size_t staged_bytes_ = 0;
  std::map<std::string, std::string, std::less<>> aliases_;
  std::deque<std::string> alias_order_;
};

Response job_not_found() {
  return serve::json_error(404, "not_found", "Job not found");
}

Response upload_image(Service& service, StudioState& state, const Request& request) {
  Result<FormData> form = read_form(request);
  if (!form) return error_response(form.error());
  const auto file = std::find_if(form->files.begin(), form->files.end(),
                                 [](const serve::MultipartPart& part) { return part.name == "image"; });
  if (file == form->files.end()) return serve::json_error(400, "invalid_argument", "No image file provided");
  if (file->filename->empty() || file->body.empty())
    return serve::json_error(400, "invalid_argument", "No file selected");
  const std::size_t limit = service.options().max_upload_bytes;
  if (file->body.size() > limit)
    return serve::json_error(413, "limit_exceeded", fmt::format("File too large (max {} bytes)", limit));
  Result<image::ImageFormat> format =
      image::sniff_image_format(std::span(reinterpret_cast<const std::uint8_t*>(file->body.data()), file->body.size()));
  if (!format) return error_response(format.error());
  Result<std::string> id = jobs::new_job_id();
  if (!id) return error_response(id.error());
  const std::string_view extension = *format == image::ImageFormat::kJpeg  ? "jpg"
                                     : *format == image::ImageFormat::kPng ? "png"
                                                                           : "webp";
  state.stage(*id, std::string(file->body));
  return serve::json_response(
      200, dump({{"job_id", *id},
                 {"filename", fmt::format("{}.{}", *id, extension)},
                 {"original_filename", sanitized_filename(*file->filename)},
                 {"status", "uploaded"},
                 {"image_info", {{"format", image::image_format_name(*format)}, {"size_bytes", file->body.size()}}}}));
}

Response generate_3d(Service& service, StudioState& state, const Request& request) {
  const json body = json::parse(request.body, nullptr, false);
  if (body.is_discarded() || !body.is_object())
    return serve::json_error(400, "invalid_argument", "the body must be a JSON object");
  if (!body.contains("job_id") || !body["job_id"].is_string())
    return serve::json_error(400, "invalid_argument", "No job_id provided");
  const std::string upload_id = body["job_id"].get<std::string>();
  if (!jobs::is_valid_job_id(upload_id)) return job_not_found();

  ParamFields fields;
  std::string format = "stl";
  if (body.contains("format")) {
    if (!body["format"].is_string())
      return serve::json_error(400, "invalid_argument", "parameter \"format\": a string");
    format = body["format"].get<std::string>();
  }
  fields["format"] = format;
  int quality = 7;  // the studio's default
  if (body.contains("quality")) {
    if (!body["quality"].is_number_integer())
      return serve::json_error(400, "invalid_argument", "parameter \"quality\": a whole number 1–10");
    quality = body["quality"].get<int>();
  }
  fields["quality"] = std::to_string(quality);
  json dimensions = {{"width", 100.0}, {"height", 100.0}, {"depth", 20.0}};  // the studio's defaults
  if (body.contains("dimensions")) {
    const json& given = body["dimensions"];
    if (!given.is_object()) return serve::json_error(400, "invalid_argument", "parameter \"dimensions\": an object");
    for (const char* axis : {"width", "height", "depth"}) {
      if (!given.contains(axis)) continue;
      if (!given[axis].is_number() || given[axis].get<double>() < 1.0 || given[axis].get<double>() > 500.0)
        return serve::json_error(400, "invalid_argument",
                                 fmt::format("parameter \"dimensions.{}\": a number of millimetres, 1–500", axis));
      dimensions[axis] = given[axis].get<double>();
    }
  }
  // The model's longest side: our models keep their proportions, so the largest dimension rules.
  const double size_mm = std::max(
      {dimensions["width"].get<double>(), dimensions["height"].get<double>(), dimensions["depth"].get<double>()});
  fields["size_mm"] = fmt::format("{}", size_mm);
  Result<JobRequestParams> params = parse_job_params(fields);
  if (!params) return error_response(params.error());

  if (state.generated(upload_id))
    return serve::json_error(409, "conflict", "Generation already in progress for this job_id");
  std::optional<std::string> image = state.take(upload_id);
  if (!image) return serve::json_error(404, "not_found", "no uploaded image with this job_id (upload it again)");
  Result<SubmitAnswer> answer =
      service.submit({.image = *image, .params = params->params, .priority = params->priority});
  if (!answer) {
    state.restore(upload_id, std::move(*image));
    return error_response(answer.error());
  }
  state.alias(upload_id, answer->job.id);
  return serve::json_response(200, dump({{"job_id", upload_id},
                                         {"orfeas_job_id", answer->job.id},
                                         {"status", "generating_3d"},
                                         {"format", format},
                                         {"dimensions", dimensions},
                                         {"quality", quality}}));
}

Response job_status(Service& service, const StudioState& state, const std::string& id) {
  if (!jobs::is_valid_job_id(id)) return job_not_found();
  Result<JobView> view = service.get(state.resolve(id));
  if (!view) return view.error().code() == ErrorCode::kNotFound ? job_not_found() : error_response(view.error());
  const jobs::Job& job = view->job;
  json out = {{"job_id", id},
              {"status", studio_status(job.status)},
              {"progress", 0},
              {"created_at", iso8601_utc(job.created_ms)},
              {"updated_at", iso8601_utc(job.finished_ms.value_or(job.started_ms.value_or(job.created_ms)))}};
  switch (job.status) {
    case jobs::JobStatus::kQueued:
      out["step"] = "queued";
      out["message"] = view->position ? fmt::format("Queued, position {}", *view->position) : "Queued";
      break;
    case jobs::JobStatus::kRunning:
      out["progress"] = view->progress ? static_cast<int>(view->progress->percent) : 0;
      out["step"] = view->progress ? view->progress->stage : "starting";
      out["message"] = fmt::format("Processing: {}", out["step"].get<std::string>());
      break;
    case jobs::JobStatus::kCompleted: {
      const std::string output_file = "model." + job.params.format;
      out["progress"] = 100;
      out["step"] = "3D model generation complete!";
      out["message"] = "3D model generation complete!";
      out["output_file"] = output_file;
      out["download_url"] = fmt::format("/api/download/{}/{}", id, output_file);
      break;
    }
    case jobs::JobStatus::kFailed:
    case jobs::JobStatus::kCancelled:
      out["step"] = studio_status(job.status);
      out["message"] = job.error_message.empty() ? std::string(studio_status(job.status)) : job.error_message;
      out["error"] = out["message"];
      out["error_code"] = job_error_code(job);
      break;
  }
  return serve::json_response(200, dump(out));
}

Response download(Service& service, const StudioState& state, const Request& request, const std::string& id,
                  const std::string& file) {
  if (!jobs::is_valid_job_id(id)) return job_not_found();
  const std::string job_id = state.resolve(id);
  Result<JobView> view = service.get(job_id);
  if (!view) return view.error().code() == ErrorCode::kNotFound ? job_not_found() : error_response(view.error());
  // The one name a job's result answers to; the request's name is compared, never used as a path.
  const std::string output_file = "model." + view->job.params.format;
  if (file != output_file || view->job.status != jobs::JobStatus::kCompleted)
    return serve::json_error(404, "not_found", "File not found");
  Result<std::filesystem::path> path = service.result_file(job_id);
  if (!path) return error_response(path.error());
  return file_response(request, *path, mesh_content_type(view->job.params.format),
                       fmt::format("orfeas-{}.{}", job_id, view->job.params.format));
}

Response batch_generate(Service& service, const Request& request) {
  Result<FormData> form = read_form(request);
  if (!form) return error_response(form.error());
  ParamFields fields;
  fields["format"] = form->fields.count("format_type") != 0 ? form->fields.at("format_type") : "stl";
  if (const auto quality = form->fields.find("quality"); quality != form->fields.end()) {
    Result<int> level = batch_quality(quality->second);
    if (!level) return error_response(level.error());
    fields["quality"] = std::to_string(*level);
  } else {
    fields["quality"] = "5";  // the studio's "medium"
  }
  if (const auto batch_size = form->fields.find("batch_size"); batch_size != form->fields.end()) {
    // The server sizes its batches itself; the field is checked and otherwise ignored.
    Result<long long> size = parse_integer_field("batch_size", batch_size->second, 1, 64);
    if (!size) return error_response(size.error());
  }
  Result<JobRequestParams> params = parse_job_params(fields);
  if (!params) return error_response(params.error());

  json job_ids = json::array();
  json rejected = json::array();
  std::optional<Error> first_error;
  for (const serve::MultipartPart& file : form->files) {
    if (file.name != "files" || file.body.empty()) continue;
    Result<SubmitAnswer> answer =
        service.submit({.image = std::string(file.body), .params = params->params, .priority = params->priority});
    if (answer) {
      job_ids.push_back(answer->job.id);
    } else {
      if (!first_error) first_error = answer.error();
      rejected.push_back(
          {{"filename", sanitized_filename(*file.filename)},
           {"error", {{"code", api_error_code(answer.error().code())}, {"message", answer.error().message()}}}});
    }
  }
  if (job_ids.empty()) {
    if (!first_error) return serve::json_error(400, "invalid_argument", "No files provided");
    return error_response(first_error->with_context("No valid image files provided"));
  }
  const std::size_t total = job_ids.size();
  return serve::json_response(200, dump({{"success", true},
                                         {"job_ids", std::move(job_ids)},
                                         {"total_jobs", total},
                                         {"estimated_time_seconds", static_cast<std::int64_t>(total) * 2},
                                         {"rejected", std::move(rejected)},
                                         {"message", fmt::format("Batch generation started: {} jobs queued", total)}}));
}

// The output formats this build writes (3MF only with lib3mf).
json format_names() {
  json names = {"stl", "glb", "obj", "ply"};
  if (exporter::threemf_available()) names.push_back("3mf");
  return names;
}

json devices_json(const Service& service) {
  json devices = json::array();
  for (const WorkerInfo& worker : service.workers())
    devices.push_back({{"device", worker.device}, {"up", worker.up}, {"batches_run", worker.batches_run}});
  return devices;
}

Response health(Service& service) {
  const Readiness readiness = service.readiness();
  const MetricsSnapshot snapshot = service.metrics_snapshot();
  const auto count = [&](jobs::JobStatus status) { return snapshot.jobs_by_status[static_cast<std::size_t>(status)]; };
  json out = {
      {"status", readiness.ready() ? "healthy" : "unhealthy"},
      {"timestamp", iso8601_utc(now_ms())},
      {"mode", "native"},
      {"gpu_info", {{"devices", devices_json(service)}}},
      {"active_jobs", count(jobs::JobStatus::kRunning)},
      {"queued_jobs", count(jobs::JobStatus::kQueued)},
      {"models_status", readiness.workers_up ? "ready" : "not_ready"},
      {"processor", {{"backends", shape::shape_backend_names()}}},
      {"capabilities", {{"formats", format_names()}, {"max_upload_bytes", service.options().max_upload_bytes}}}};
  if (!readiness.ready()) out["detail"] = readiness.detail;
  return serve::json_response(readiness.ready() ? 200 : 503, dump(out));
}

Response models_info(const Service& service) {
  const std::vector<WorkerInfo> workers = service.workers();
  return serve::json_response(
      200, dump({{"mode", "native"},
                 {"device", workers.empty() ? std::string("none") : workers.front().device},
                 {"gpu_stats", {{"devices", devices_json(service)}}},
                 {"processor", {{"backends", shape::shape_backend_names()}, {"formats", format_names()}}}}));
}

}  // namespace

std::vector<ApiRoute> studio_routes(Service& service) {
  Service* s = &service;  // borrowed: the service outlives the router
  auto state = std::make_shared<StudioState>();
  std::vector<ApiRoute> routes;
  routes.push_back(
      {Method::kPost, "/api/upload-image", "Studio: upload an image (generate it later)",
       "Multipart form with the file field `image`. `{job_id, filename, original_filename, status: "
       "\"uploaded\", image_info}`; the upload waits (in memory, an hour at most) for /api/generate-3d.",
       [s, state](const Request& request, const PathParams&) { return upload_image(*s, *state, request); }});
  routes.push_back(
      {Method::kPost, "/api/generate-3d", "Studio: generate the mesh of an uploaded image",
       "JSON `{job_id, format: stl|glb|obj|ply, quality: 1–10 (7), dimensions: {width, height, depth} "
       "(mm, 1–500; the largest is the model's size)}` → `{job_id, orfeas_job_id, status: "
       "\"generating_3d\", format, dimensions, quality}`. 404 unknown upload, 409 already generated.",
       [s, state](const Request& request, const PathParams&) { return generate_3d(*s, *state, request); }});
  routes.push_back(
      {Method::kGet, "/api/job-status/{job_id}", "Studio: a job's status",
       "`{job_id, status: queued|processing|completed|failed|cancelled, progress (0–100), step, "
       "message, created_at, updated_at, output_file, download_url (completed), error (failed)}`.",
       [s, state](const Request&, const PathParams& params) { return job_status(*s, *state, params.at("job_id")); }});
  routes.push_back({Method::kGet, "/api/download/{job_id}/{filename}", "Studio: download a job's output_file",
                    "`filename` must be the job's `output_file` (`model.<format>`); anything else is 404.",
                    [s, state](const Request& request, const PathParams& params) {
                      return download(*s, *state, request, params.at("job_id"), params.at("filename"));
                    }});
  routes.push_back({Method::kPost, "/api/batch-generate", "Studio: generate several images",
                    "Multipart form: file fields `files`, `format_type` (stl), `quality` (low|medium|high or 1–10), "
                    "`batch_size` (checked, ignored) → `{success, job_ids, total_jobs, estimated_time_seconds, "
                    "rejected: [{filename, error}], message}`.",
                    [s](const Request& request, const PathParams&) { return batch_generate(*s, request); }});
  routes.push_back({Method::kGet, "/api/health", "Studio: health",
                    "`{status: healthy|unhealthy, timestamp, mode, gpu_info, active_jobs, queued_jobs, "
                    "models_status, processor, capabilities}`; 503 when not ready.",
                    [s](const Request&, const PathParams&) { return health(*s); }});
  routes.push_back({Method::kGet, "/api/models-info", "Studio: the reconstruction backends and devices",
                    "`{mode, device, gpu_stats, processor}`.",
                    [s](const Request&, const PathParams&) { return models_info(*s); }});
  return routes;
}

}  // namespace orfeas::service
