// /api/mesh/analyze, /api/mesh/repair, /api/mesh/simplify: the `orfeas mesh` tools over HTTP for
// STL, OBJ and PLY files that users bring, with the CLI's JSON reports (meshtools/mesh_report.h).
//
// The upload is the request body as it is, or the file field `mesh` of a multipart/form-data
// body. Its format is `?input=stl|obj|ply`, else the multipart file name's extension, else sniffed
// from the bytes (mesh_format_of_bytes below). Repair and simplify answer the mesh file itself
// (`?format=stl|obj|ply`, default the input's; coordinates kept, as the CLI keeps them) as an
// attachment, with the report as compact JSON in the X-Orfeas-Report header, so a client saves the
// body as it is and reads the report without decoding anything.
//
// Limits: the upload is at most the service's max_upload_bytes and at most kMaxFaces faces and
// vertices; the self-intersection search stops at kMaxPairTests candidate pairs (the report then
// says `"complete": false`), so no request holds a server thread for long.
#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <new>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "orfeas/export/export.h"
#include "orfeas/jobs/job.h"
#include "orfeas/meshtools/analysis.h"
#include "orfeas/meshtools/mesh_io.h"
#include "orfeas/meshtools/mesh_report.h"
#include "orfeas/meshtools/repair.h"
#include "orfeas/serve/multipart.h"
#include "orfeas/service/api.h"

namespace orfeas::service {
namespace {

constexpr std::size_t kMaxFaces = 5'000'000;
constexpr std::uint64_t kMaxPairTests = 20'000'000;  // about a second of self-intersection search
constexpr std::string_view kFormField = "mesh";

struct MeshRouteOptions {
  std::size_t max_bytes = 0;
  std::filesystem::path scratch_dir;  // where repaired / simplified meshes are written before they are sent
};

struct Upload {
  std::string_view bytes;  // borrowed from the request body
  exporter::Format format = exporter::Format::kStl;
  std::string format_source;  // how the format was chosen, for error messages
};

// "stl", "obj" or "ply"; kUnsupportedFormat for anything else (GLB and 3MF included: never read).
Result<exporter::Format> readable_format(std::string_view name) {
  const Result<exporter::Format> format = exporter::parse_format(name);
  if (format && *format != exporter::Format::kGlb && *format != exporter::Format::k3mf) return format;
  return make_error(ErrorCode::kUnsupportedFormat,
                    fmt::format("unknown mesh format '{}' (expected stl, obj or ply)", name));
}

bool starts_with_line(std::string_view text, std::string_view word) {
  return text.substr(0, word.size()) == word &&
         (text.size() == word.size() || text[word.size()] == '\n' || text[word.size()] == '\r' ||
          text[word.size()] == ' ' || text[word.size()] == '\t');
}

// The first meaningful line of an OBJ file starts with one of its keywords.
bool looks_like_obj(std::string_view text) {
  static const std::set<std::string_view> kKeywords = {"v", "vt", "vn", "vp", "f",      "l",
                                                       "p", "o",  "g",  "s",  "mtllib", "usemtl"};
  std::size_t at = 0;
  for (int line = 0; line < 64 && at < text.size(); ++line) {
    const std::size_t end = std::min(text.find('\n', at), text.size());
    std::string_view row = text.substr(at, end - at);
    at = end + 1;
    const std::size_t first = row.find_first_not_of(" \t\r");
    if (first == std::string_view::npos || row[first] == '#') continue;
    row.remove_prefix(first);
    return kKeywords.contains(row.substr(0, row.find_first_of(" \t\r")));
  }
  return false;
}

// Binary STL when the header's triangle count matches the size; PLY by its magic line; ASCII STL
// by `solid`; OBJ by its first keyword; otherwise any file of STL's minimum size is taken as a binary
// STL, so that a lying triangle count is reported as such rather than as an unknown format.
Result<exporter::Format> mesh_format_of_bytes(std::string_view bytes) {
  if (bytes.size() >= 84) {
    std::uint32_t count = 0;
    for (int i = 3; i >= 0; --i) count = (count << 8) | static_cast<unsigned char>(bytes[80 + i]);
    if (std::uint64_t{84} + std::uint64_t{50} * count == bytes.size()) return exporter::Format::kStl;
  }
  if (starts_with_line(bytes, "ply")) return exporter::Format::kPly;
  const std::size_t first = bytes.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && bytes.substr(first, 5) == "solid") return exporter::Format::kStl;
  if (looks_like_obj(bytes)) return exporter::Format::kObj;
  if (bytes.size() >= 84) return exporter::Format::kStl;
  return make_error(ErrorCode::kUnsupportedFormat,
                    "cannot tell the mesh format from the bytes: name it with ?input=stl|obj|ply");
}

Result<Upload> upload_of(const serve::Request& request) {
  Upload upload;
  upload.bytes = request.body;
  std::optional<std::string> filename;
  const std::optional<std::string_view> content_type = request.headers.get("Content-Type");
  if (content_type && serve::is_multipart_form(*content_type)) {
    ORFEAS_ASSIGN_OR_RETURN(const std::vector<serve::MultipartPart> parts, serve::parse_multipart_form(request));
    const serve::MultipartPart* file = nullptr;
    for (const serve::MultipartPart& part : parts) {
      if (part.name == kFormField) file = &part;
    }
    if (file == nullptr) {
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("the multipart form has no field '{}' holding the mesh file", kFormField));
    }
    upload.bytes = file->body;
    filename = file->filename;
  }
  if (upload.bytes.empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("no mesh: send the file as the request body or as the form field '{}'", kFormField));
  }
  if (const auto input = request.query.find("input"); input != request.query.end()) {
    ORFEAS_ASSIGN_OR_RETURN(upload.format, readable_format(input->second));
    upload.format_source = "as ?input says";
  } else if (filename && !filename->empty()) {
    ORFEAS_ASSIGN_OR_RETURN_CTX(upload.format, meshtools::mesh_format_from_path(*filename), "the uploaded file's name");
    upload.format_source = "by the file name's extension";
  } else {
    ORFEAS_ASSIGN_OR_RETURN(upload.format, mesh_format_of_bytes(upload.bytes));
    upload.format_source = "guessed from its bytes; name it with ?input=";
  }
  return upload;
}

Result<mesh::Mesh> read_upload(const Upload& upload, const MeshRouteOptions& options) {
  meshtools::ReadLimits limits;
  limits.max_file_bytes = options.max_bytes;
  limits.max_faces = kMaxFaces;
  limits.max_vertices = kMaxFaces;
  const std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(upload.bytes.data()), upload.bytes.size());
  return with_context(meshtools::parse_mesh(bytes, upload.format, limits),
                      fmt::format("while reading the uploaded mesh as {} ({})", exporter::format_name(upload.format),
                                  upload.format_source));
}

meshtools::AnalysisOptions analysis_options() {
  meshtools::AnalysisOptions options;
  options.self_intersection.max_pair_tests = kMaxPairTests;
  return options;
}

// Every query parameter is one the route knows: a misspelt option is an error, not a default.
Status check_query(const serve::Request& request, const std::vector<ApiParam>& known) {
  for (const auto& [name, value] : request.query) {
    const auto is_name = [&name](const ApiParam& param) { return param.name == name; };
    if (std::find_if(known.begin(), known.end(), is_name) == known.end()) {
      std::string names;
      for (const ApiParam& param : known) names += fmt::format("{}{}", names.empty() ? "" : ", ", param.name);
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("unknown query parameter '{}' (this route takes {})", name, names));
    }
  }
  return {};
}

template <class T>
Result<std::optional<T>> number_param(const serve::Request& request, std::string_view name, T low, T high) {
  const auto found = request.query.find(name);
  if (found == request.query.end()) return std::optional<T>();
  const std::string& text = found->second;
  T value{};
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || !(value >= low && value <= high)) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("?{}={} is not a number from {} to {}", name, text, low, high));
  }
  return std::optional<T>(value);
}

Result<std::optional<bool>> bool_param(const serve::Request& request, std::string_view name) {
  const auto found = request.query.find(name);
  if (found == request.query.end()) return std::optional<bool>();
  if (found->second == "true" || found->second == "1") return std::optional<bool>(true);
  if (found->second == "false" || found->second == "0") return std::optional<bool>(false);
  return make_error(ErrorCode::kInvalidArgument, fmt::format("?{}={} is not true or false", name, found->second));
}

Result<meshtools::RepairOptions> repair_options(const serve::Request& request) {
  meshtools::RepairOptions options;
  ORFEAS_ASSIGN_OR_RETURN(const auto weld, number_param<double>(request, "weld_tolerance", 0.0, 0.1));
  ORFEAS_ASSIGN_OR_RETURN(const auto hole, number_param<std::size_t>(request, "max_hole_edges", 3, 1'000'000));
  ORFEAS_ASSIGN_OR_RETURN(const auto fill, bool_param(request, "fill_holes"));
  ORFEAS_ASSIGN_OR_RETURN(const auto speck, number_param<double>(request, "speck_fraction", 0.0, 1.0));
  options.weld_tolerance = weld.value_or(options.weld_tolerance);
  options.max_hole_edges = hole.value_or(options.max_hole_edges);
  options.fill_holes = fill.value_or(options.fill_holes);
  options.speck_fraction = speck.value_or(options.speck_fraction);
  return options;
}

Result<exporter::Format> output_format(const serve::Request& request, const Upload& upload) {
  const auto found = request.query.find("format");
  if (found == request.query.end()) return upload.format;
  return readable_format(found->second);
}

// Deletes a scratch file on every path out.
class ScratchFile {
 public:
  explicit ScratchFile(std::filesystem::path path) : path_(std::move(path)) {}
  ~ScratchFile() {
    std::error_code ignored;
    std::filesystem::remove(path_, ignored);
  }
  ScratchFile(const ScratchFile&) = delete;
  ScratchFile& operator=(const ScratchFile&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// The mesh as the bytes of a file of `format`, coordinates kept. Written through the exporter (the
// one writer of each format) to a scratch file that is read back and deleted.
Result<std::string> encode_mesh(const mesh::Mesh& mesh, exporter::Format format, const MeshRouteOptions& options) {
  std::error_code error;
  std::filesystem::create_directories(options.scratch_dir, error);
  if (error) {
    return make_error(ErrorCode::kIoError,
                      fmt::format("cannot create '{}': {}", options.scratch_dir.string(), error.message()));
  }
  ORFEAS_ASSIGN_OR_RETURN(const std::string id, jobs::new_job_id());
  const ScratchFile file(options.scratch_dir / fmt::format("mesh-{}.{}", id, exporter::format_name(format)));
  exporter::ExportOptions export_options;
  export_options.keep_coordinates = true;
  ORFEAS_RETURN_IF_ERROR(exporter::export_mesh(mesh, file.path(), format, export_options));
  std::ifstream in(file.path(), std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) {
    return make_error(ErrorCode::kIoError, fmt::format("cannot read back '{}'", file.path().string()));
  }
  return bytes;
}

serve::Response mesh_file_response(std::string bytes, exporter::Format format, std::string_view stem,
                                   const nlohmann::json& report) {
  serve::Response response;
  response.status = 200;
  response.content_type = std::string(mesh_content_type(exporter::format_name(format)));
  response.body = std::move(bytes);
  response.headers.set("Content-Disposition",
                       fmt::format("attachment; filename=\"{}.{}\"", stem, exporter::format_name(format)));
  // ASCII only (ensure_ascii) and on one line: a valid header value whatever the report holds.
  response.headers.set("X-Orfeas-Report", report.dump(-1, ' ', true, nlohmann::json::error_handler_t::replace));
  response.headers.set("Access-Control-Expose-Headers", "X-Orfeas-Report, Content-Disposition");
  return response;
}

Result<serve::Response> analyze(const serve::Request& request, const MeshRouteOptions& options) {
  ORFEAS_ASSIGN_OR_RETURN(const auto search, bool_param(request, "self_intersections"));
  ORFEAS_ASSIGN_OR_RETURN(const Upload upload, upload_of(request));
  ORFEAS_ASSIGN_OR_RETURN(const mesh::Mesh mesh, read_upload(upload, options));
  meshtools::AnalysisOptions analysis = analysis_options();
  analysis.self_intersections = search.value_or(true);
  ORFEAS_ASSIGN_OR_RETURN(const meshtools::MeshAnalysis report, meshtools::analyze_mesh(mesh, analysis));
  return serve::json_response(200, meshtools::analysis_json(report, meshtools::mesh_unit(upload.format)).dump());
}

Result<serve::Response> repair(const serve::Request& request, const MeshRouteOptions& options) {
  ORFEAS_ASSIGN_OR_RETURN(const meshtools::RepairOptions repair, repair_options(request));
  ORFEAS_ASSIGN_OR_RETURN(const Upload upload, upload_of(request));
  ORFEAS_ASSIGN_OR_RETURN(const exporter::Format format, output_format(request, upload));
  ORFEAS_ASSIGN_OR_RETURN(mesh::Mesh mesh, read_upload(upload, options));
  ORFEAS_ASSIGN_OR_RETURN(const meshtools::RepairOutcome fixed,
                          meshtools::repair_and_analyze(std::move(mesh), repair, analysis_options()));
  ORFEAS_ASSIGN_OR_RETURN(std::string bytes, encode_mesh(fixed.mesh, format, options));
  return mesh_file_response(std::move(bytes), format, "repaired",
                            meshtools::repair_json(fixed, meshtools::mesh_unit(upload.format)));
}

Result<serve::Response> simplify(const serve::Request& request, const MeshRouteOptions& options) {
  ORFEAS_ASSIGN_OR_RETURN(const auto faces, number_param<std::size_t>(request, "faces", 1, kMaxFaces));
  if (!faces) return make_error(ErrorCode::kInvalidArgument, "?faces=N (the target face count) is required");
  ORFEAS_ASSIGN_OR_RETURN(const Upload upload, upload_of(request));
  ORFEAS_ASSIGN_OR_RETURN(const exporter::Format format, output_format(request, upload));
  ORFEAS_ASSIGN_OR_RETURN(mesh::Mesh mesh, read_upload(upload, options));
  ORFEAS_ASSIGN_OR_RETURN(const meshtools::SimplifyOutcome small,
                          meshtools::simplify_and_analyze(std::move(mesh), *faces, analysis_options()));
  ORFEAS_ASSIGN_OR_RETURN(std::string bytes, encode_mesh(small.simplified.mesh, format, options));
  return mesh_file_response(std::move(bytes), format, "simplified",
                            meshtools::simplify_json(small, meshtools::mesh_unit(upload.format)));
}

using MeshHandler = Result<serve::Response> (*)(const serve::Request&, const MeshRouteOptions&);

// The query is checked against `params`; errors become the API's error bodies; nothing thrown
// leaves (a bad_alloc on a huge mesh included).
serve::Handler handler_of(MeshHandler handle, MeshRouteOptions options, std::vector<ApiParam> params) {
  return [handle, options = std::move(options), params = std::move(params)](const serve::Request& request,
                                                                            const serve::PathParams&) {
    try {
      Result<serve::Response> response =
          check_query(request, params).and_then([&] { return handle(request, options); });
      return response ? std::move(*response) : error_response(response.error());
    } catch (const std::bad_alloc&) {
      return error_response(Error(ErrorCode::kOutOfMemory, "the mesh does not fit in the server's memory"));
    } catch (const std::exception& e) {
      return error_response(Error(ErrorCode::kInternal, e.what()));
    }
  };
}

const ApiParam kInputParam{"input", "string",
                           "stl, obj or ply: the upload's format (otherwise from the file name or the bytes)"};
const ApiParam kFormatParam{"format", "string", "stl, obj or ply: the answer's format (default: the input's)"};

constexpr std::string_view kUploadDoc =
    "Body: the mesh file as it is, or multipart/form-data with the file in the field `mesh`. "
    "`?input=stl|obj|ply` names its format; otherwise the multipart file name's extension, otherwise the "
    "bytes tell (binary STL by its size, `ply`, `solid`, OBJ keywords). STL is taken as millimetres "
    "(`\"unit\": \"mm\"`), OBJ and PLY as `\"units\"`. Errors: 400 bad parameter or empty body, 413 more than "
    "the upload limit or 5 000 000 faces, 415 unknown format, 422 a broken file (a triangle count that "
    "does not match the bytes, a NaN coordinate, an index out of range, no faces).";

constexpr std::string_view kReportDoc =
    " Answer: the mesh file (`?format=stl|obj|ply`, default the input's; coordinates kept) as an "
    "attachment, and the report as compact JSON in the `X-Orfeas-Report` header.";

}  // namespace

std::vector<ApiRoute> mesh_routes(const Service& service) {
  MeshRouteOptions options;
  options.max_bytes = service.options().max_upload_bytes;
  options.scratch_dir = service.data_dir() / "tmp";
  const std::vector<ApiParam> analyze_params = {
      kInputParam, {"self_intersections", "boolean", "false skips the self-intersection search (default true)"}};
  const std::vector<ApiParam> repair_params = {
      kInputParam,
      kFormatParam,
      {"weld_tolerance", "number",
       "also weld vertices closer than this fraction of the bounding-box diagonal, 0 to 0.1 (default 0)"},
      {"max_hole_edges", "integer", "leave longer holes open (default 10000)"},
      {"fill_holes", "boolean", "false leaves holes open (default true)"},
      {"speck_fraction", "number",
       "drop components with fewer faces than this fraction of the largest, 0 to 1 (default 0.01)"}};
  const std::vector<ApiParam> simplify_params = {
      kInputParam, kFormatParam, {"faces", "integer", "the target face count, 1 to 5000000", true}};
  std::vector<ApiRoute> routes;
  routes.push_back(
      {serve::Method::kPost, "/api/mesh/analyze",
       "Analyse an STL, OBJ or PLY file: watertight, edges, orientation, volume, self-intersections",
       fmt::format("{} Answer: the report as JSON, as `orfeas mesh analyze --json` prints it.", kUploadDoc),
       handler_of(&analyze, options, analyze_params), analyze_params});
  routes.push_back({serve::Method::kPost, "/api/mesh/repair",
                    "Repair an STL, OBJ or PLY file: weld, drop bad faces, fill holes, orient, drop specks",
                    fmt::format("{}{} Report (as `orfeas mesh repair --json`): `{{\"repair\": {{counts}}, \"result\": "
                                "analysis}}`.",
                                kUploadDoc, kReportDoc),
                    handler_of(&repair, options, repair_params), repair_params});
  routes.push_back(
      {serve::Method::kPost, "/api/mesh/simplify",
       "Simplify an STL, OBJ or PLY file to `?faces=N`, keeping a closed surface closed",
       fmt::format("{}{} Report (as `orfeas mesh simplify --json`): `{{\"faces_before\", \"target_faces\", "
                   "\"faces\", \"reached\", \"note\", \"result\": analysis}}`.",
                   kUploadDoc, kReportDoc),
       handler_of(&simplify, options, simplify_params), simplify_params});
  return routes;
}

}  // namespace orfeas::service
