// /api/jobs… and /api/batch: submit, inspect, list, cancel jobs, download their results.
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "orfeas/jobs/job_store.h"
#include "orfeas/service/api.h"

namespace orfeas::service {
namespace {

using nlohmann::json;
using serve::Method;
using serve::PathParams;
using serve::Request;
using serve::Response;

constexpr std::size_t kMaxBatchImages = 64;

std::string dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

json links_of(const std::string& id) {
  const std::string self = "/api/jobs/" + id;
  return {{"self", self}, {"result", self + "/result"}, {"profile", self + "/profile"}, {"events", "/api/ws"}};
}

json params_json(const jobs::GenerationParams& p) {
  return {{"format", p.format}, {"resolution", p.resolution}, {"size_mm", p.size_mm},
          {"faces", p.faces},   {"backend", p.backend},       {"device", p.device}};
}

json optional_time(const std::optional<std::int64_t>& ms) {
  return ms ? json(iso8601_utc(*ms)) : json(nullptr);
}

json job_json(const jobs::Job& job, const std::optional<std::int64_t>& position,
              const std::optional<JobEvent>& progress) {
  json out = {
      {"id", job.id},
      {"status", jobs::job_status_name(job.status)},
      {"priority", job.priority},
      {"created_at", iso8601_utc(job.created_ms)},
      {"started_at", optional_time(job.started_ms)},
      {"finished_at", optional_time(job.finished_ms)},
      {"params", params_json(job.params)},
      {"error", nullptr},
      {"retryable", job.retryable},
      {"attempts", job.attempts},
      {"links", links_of(job.id)},
  };
  if (job.status == jobs::JobStatus::kQueued && position) out["position"] = *position;
  if (job.status == jobs::JobStatus::kRunning && progress) {
    out["progress"] = {{"stage", progress->stage},
                       {"step", progress->step},
                       {"steps", progress->steps},
                       {"percent", progress->percent},
                       {"eta_s", progress->eta_s ? json(*progress->eta_s) : json(nullptr)}};
  }
  if (!job.error_code.empty() || !job.error_message.empty())
    out["error"] = {{"code", job_error_code(job)}, {"message", job.error_message}};
  return out;
}

json view_json(const JobView& view) {
  return job_json(view.job, view.position, view.progress);
}

Response unknown_job(std::string_view id) {
  return serve::json_error(404, "not_found", fmt::format("no job \"{}\"", id.substr(0, 64)));
}

// Ids are checked before anything else: a malformed one never reaches the store or the disk.
bool valid_id(const PathParams& params) {
  return jobs::is_valid_job_id(params.at("id"));
}

Result<SubmitAnswer> submit_one(Service& service, std::string image, const JobRequestParams& params) {
  return service.submit({.image = std::move(image), .params = params.params, .priority = params.priority});
}

json answer_json(const SubmitAnswer& answer) {
  json out = {{"id", answer.job.id},
              {"status", jobs::job_status_name(answer.job.status)},
              {"position", answer.position},
              {"cached", answer.cached},
              {"links", links_of(answer.job.id)}};
  return out;
}

Response post_job(Service& service, const Request& request) {
  std::string image;
  ParamFields fields = ParamFields(request.query.begin(), request.query.end());
  const std::string_view content_type = request.headers.get("Content-Type").value_or("");
  if (serve::is_multipart_form(content_type)) {
    Result<FormData> form = read_form(request);
    if (!form) return error_response(form.error());
    Result<ParamFields> merged = merge_param_fields(fields, form->fields);
    if (!merged) return error_response(merged.error());
    fields = std::move(*merged);
    const serve::MultipartPart* file = nullptr;
    for (const serve::MultipartPart& part : form->files) {
      if (part.name != "image")
        return serve::json_error(400, "invalid_argument",
                                 fmt::format("unexpected file field \"{}\"; the image goes in \"image\"", part.name));
      if (file != nullptr) return serve::json_error(400, "invalid_argument", "more than one \"image\" file");
      file = &part;
    }
    if (file == nullptr || file->body.empty())
      return serve::json_error(400, "invalid_argument", "the form has no \"image\" file (or it is empty)");
    image = std::string(file->body);
  } else {
    if (request.body.empty())
      return serve::json_error(400, "invalid_argument",
                               "no image: send its bytes as the body, or a multipart form with an \"image\" file");
    image = request.body;
  }
  Result<JobRequestParams> params = parse_job_params(fields);
  if (!params) return error_response(params.error());
  Result<SubmitAnswer> answer = submit_one(service, std::move(image), *params);
  if (!answer) return error_response(answer.error());
  Response response = serve::json_response(answer->cached ? 200 : 202, dump(answer_json(*answer)));
  response.headers.set("Location", "/api/jobs/" + answer->job.id);
  return response;
}

Response post_batch(Service& service, const Request& request) {
  Result<FormData> form = read_form(request);
  if (!form) return error_response(form.error());
  Result<ParamFields> fields =
      merge_param_fields(ParamFields(request.query.begin(), request.query.end()), form->fields);
  if (!fields) return error_response(fields.error());
  Result<JobRequestParams> params = parse_job_params(*fields);
  if (!params) return error_response(params.error());
  if (form->files.empty()) return serve::json_error(400, "invalid_argument", "the form has no image files");
  if (form->files.size() > kMaxBatchImages)
    return serve::json_error(413, "limit_exceeded",
                             fmt::format("{} images; a batch takes at most {}", form->files.size(), kMaxBatchImages));
  json jobs = json::array();
  std::optional<Error> first_error;
  bool any_accepted = false;
  for (const serve::MultipartPart& file : form->files) {
    Result<SubmitAnswer> answer = file.body.empty()
                                      ? Result<SubmitAnswer>(make_error(ErrorCode::kInvalidArgument, "an empty file"))
                                      : submit_one(service, std::string(file.body), *params);
    if (answer) {
      any_accepted = true;
      jobs.push_back({{"id", answer->job.id},
                      {"status", jobs::job_status_name(answer->job.status)},
                      {"position", answer->position},
                      {"filename", *file.filename}});
    } else {
      if (!first_error) first_error = answer.error();
      jobs.push_back(
          {{"filename", *file.filename},
           {"error", {{"code", api_error_code(answer.error().code())}, {"message", answer.error().message()}}}});
    }
  }
  // Some accepted: 202 with each file's outcome. None: the first error's status, with the same list.
  const int status = any_accepted ? 202 : http_status_of(first_error->code());
  return serve::json_response(status, dump({{"jobs", std::move(jobs)}}));
}

Response list_jobs(Service& service, const Request& request) {
  jobs::ListQuery query;
  for (const auto& [name, value] : request.query) {
    if (name == "status") {
      const std::optional<jobs::JobStatus> status = jobs::parse_job_status(value);
      if (!status)
        return serve::json_error(400, "invalid_argument",
                                 "parameter \"status\": one of queued, running, completed, failed, cancelled");
      query.status = *status;
    } else if (name == "limit") {
      Result<long long> limit = parse_integer_field("limit", value, 1, 1000);
      if (!limit) return error_response(limit.error());
      query.limit = static_cast<int>(*limit);
    } else if (name == "cursor") {
      Result<jobs::PageCursor> cursor = jobs::PageCursor::parse(value);
      if (!cursor) return serve::json_error(400, "invalid_argument", "parameter \"cursor\": not a cursor of this API");
      query.after = std::move(*cursor);
    } else {
      return serve::json_error(400, "invalid_argument",
                               fmt::format("parameter \"{}\": unknown; use status, limit, cursor", name.substr(0, 64)));
    }
  }
  Result<jobs::JobPage> page = service.list(query);
  if (!page) return error_response(page.error());
  json list = json::array();
  for (const jobs::Job& job : page->jobs) list.push_back(job_json(job, std::nullopt, std::nullopt));
  return serve::json_response(
      200, dump({{"jobs", std::move(list)},
                 {"next_cursor", page->next_cursor ? json(page->next_cursor->to_string()) : json(nullptr)}}));
}

Response job_result(Service& service, const Request& request, const std::string& id) {
  Result<JobView> view = service.get(id);
  if (!view) return view.error().code() == ErrorCode::kNotFound ? unknown_job(id) : error_response(view.error());
  const jobs::Job& job = view->job;
  if (job.status != jobs::JobStatus::kCompleted)
    return serve::json_error(
        409, "not_completed",
        fmt::format("job {} is {}; its result exists once it is completed", id, jobs::job_status_name(job.status)));
  Result<std::filesystem::path> file = service.result_file(id);
  if (!file) return error_response(file.error());
  // The download name comes from the id and the job's own format, never from the request.
  const std::string extension = file->extension().string().substr(file->extension().empty() ? 0 : 1);
  return file_response(request, *file, mesh_content_type(extension), fmt::format("orfeas-{}.{}", id, extension));
}

}  // namespace

std::vector<ApiRoute> job_routes(Service& service) {
  Service* s = &service;  // borrowed: the service outlives the router
  std::vector<ApiRoute> routes;
  const std::vector<ApiParam> generation_params = {
      {"format", "string", "stl (default), glb, obj or ply"},
      {"resolution", "integer", "grid cells per axis, 8–1024 (default 128)"},
      {"quality", "integer", "1–10 instead of resolution: 32, 48, 64, 96, 128, 160, 192, 256, 320, 384"},
      {"size_mm", "number", "longest side of the model in millimetres, 0.01–100000 (default 100)"},
      {"faces", "integer", "face budget of simplification; 0 (default) keeps every face"},
      {"backend", "string", "shape backend (default inflate)"},
      {"device", "string", "auto (default), cpu, cuda or cuda:N"},
      {"priority", "integer", "-100–100, higher runs first (default 0)"},
  };

  routes.push_back({Method::kPost, "/api/jobs", "Submit an image; a job is queued",
                    "The image (PNG, JPEG, WebP) is the raw body with its Content-Type, or the file field `image` "
                    "of a multipart form. Parameters in the query or as form fields. Answers 202 "
                    "`{id, status, position, cached, links}` with Location; 200 with status `completed` when the "
                    "same image and parameters were already computed (`cached: true`). Errors: 400 bad parameter, "
                    "413 too large, 415 not an image, 422 broken image, 429 queue full (Retry-After).",
                    [s](const Request& request, const PathParams&) { return post_job(*s, request); },
                    generation_params});
  routes.push_back({Method::kGet,
                    "/api/jobs",
                    "List jobs, oldest first, a page at a time",
                    "`{jobs: [job…], next_cursor}`; pass next_cursor as `cursor` for the next page (null: no more).",
                    [s](const Request& request, const PathParams&) { return list_jobs(*s, request); },
                    {{"status", "string", "queued, running, completed, failed or cancelled"},
                     {"limit", "integer", "1–1000 (default 100)"},
                     {"cursor", "string", "next_cursor of the previous page"}}});
  routes.push_back({Method::kGet, "/api/jobs/{id}", "A job",
                    "`{id, status, priority, created_at, started_at, finished_at, params, position (queued), "
                    "progress (running), error {code, message}, retryable, attempts, links}`; times ISO-8601 UTC.",
                    [s](const Request&, const PathParams& params) {
                      if (!valid_id(params)) return unknown_job(params.at("id"));
                      Result<JobView> view = s->get(params.at("id"));
                      if (!view)
                        return view.error().code() == ErrorCode::kNotFound ? unknown_job(params.at("id"))
                                                                           : error_response(view.error());
                      return serve::json_response(200, dump(view_json(*view)));
                    }});
  routes.push_back({Method::kDelete, "/api/jobs/{id}", "Cancel a queued or running job",
                    "Answers the job as it is afterwards (a finished job is returned unchanged).",
                    [s](const Request&, const PathParams& params) {
                      if (!valid_id(params)) return unknown_job(params.at("id"));
                      Result<jobs::Job> job = s->cancel(params.at("id"));
                      if (!job)
                        return job.error().code() == ErrorCode::kNotFound ? unknown_job(params.at("id"))
                                                                          : error_response(job.error());
                      return serve::json_response(200, dump(job_json(*job, std::nullopt, std::nullopt)));
                    }});
  routes.push_back({Method::kGet, "/api/jobs/{id}/result", "Download the mesh of a completed job",
                    "The file with its Content-Type (model/stl, model/gltf-binary, model/obj, application/ply), "
                    "Content-Disposition `orfeas-<id>.<ext>`, ETag (If-None-Match → 304) and byte ranges "
                    "(Range → 206, 416 outside the file). 409 `not_completed` before the job completed.",
                    [s](const Request& request, const PathParams& params) {
                      if (!valid_id(params)) return unknown_job(params.at("id"));
                      return job_result(*s, request, params.at("id"));
                    }});
  routes.push_back({Method::kGet, "/api/jobs/{id}/profile", "Stage timings of a job that ran",
                    "`{job, total_s, stages: [{name, seconds}…]}`; 404 before the job ran.",
                    [s](const Request&, const PathParams& params) {
                      if (!valid_id(params)) return unknown_job(params.at("id"));
                      Result<std::string> profile = s->profile_json(params.at("id"));
                      if (!profile) return error_response(profile.error());
                      return serve::json_response(200, std::move(*profile));
                    }});
  routes.push_back({Method::kPost, "/api/batch", "Submit several images at once",
                    "A multipart form: every file part is an image (at most 64); the other fields and the query are "
                    "the parameters of every job. `{jobs: [{id, status, position, filename} | {filename, error}]}`: "
                    "202 when any was accepted, else the first error's status.",
                    [s](const Request& request, const PathParams&) { return post_batch(*s, request); },
                    generation_params});
  return routes;
}

}  // namespace orfeas::service
