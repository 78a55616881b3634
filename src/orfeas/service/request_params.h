// A job request's parameters from a query string or multipart form fields, parsed strictly.
//
//   ORFEAS_ASSIGN_OR_RETURN(JobRequestParams p, parse_job_params(request.query));
//   service.submit({.image = bytes, .params = p.params, .priority = p.priority});
//
// Fields (every one optional; the defaults are GenerationParams' and priority 0):
//   format      stl | glb | obj | ply
//   resolution  8..1024, grid cells per axis
//   quality     1..10, a resolution from kQualityResolutions (1 → 32 … 10 → 384); not with resolution
//   size_mm     0.01..100000, the model's longest side in millimetres
//   faces       0..100000000, the simplification budget (0 keeps every face)
//   backend     a shape backend name (shape::shape_backend_names(): "inflate")
//   device      auto | cpu | cuda | cuda:N
//   priority    -100..100, higher runs first
// A number must be the whole field ("12abc", " 12", "1e400" are refused); an unknown field name, a
// value out of range, a field given twice with different values (query and form), is
// kInvalidArgument naming the field.
//
// Thread-safety: pure functions.
#pragma once

#include <array>
#include <initializer_list>
#include <map>
#include <string>
#include <string_view>

#include "orfeas/core/status.h"
#include "orfeas/jobs/job.h"

namespace orfeas::service {

using ParamFields = std::map<std::string, std::string, std::less<>>;

struct JobRequestParams {
  jobs::GenerationParams params;
  int priority = 0;
};

inline constexpr int kMinResolution = 8;
inline constexpr int kMaxResolution = 1024;
inline constexpr int kMinPriority = -100;
inline constexpr int kMaxPriority = 100;
// quality q (1..10) → kQualityResolutions[q - 1] grid cells per axis.
inline constexpr std::array<int, 10> kQualityResolutions = {32, 48, 64, 96, 128, 160, 192, 256, 320, 384};

// The resolution of a quality level; kInvalidArgument outside 1..10.
[[nodiscard]] Result<int> resolution_for_quality(int quality);

// Parses the fields above from `fields`; `ignored` names fields that belong to the request but
// are not parameters (the multipart file field "image") and are skipped.
[[nodiscard]] Result<JobRequestParams> parse_job_params(const ParamFields& fields,
                                                        std::initializer_list<std::string_view> ignored = {});

// `query` and then `form` merged into one set of fields: a name in both with different values is
// kInvalidArgument naming it.
[[nodiscard]] Result<ParamFields> merge_param_fields(const ParamFields& query, const ParamFields& form);

// Whole-string numbers within [min, max]; kInvalidArgument naming `field` otherwise.
[[nodiscard]] Result<long long> parse_integer_field(std::string_view field, std::string_view text, long long min,
                                                    long long max);
[[nodiscard]] Result<double> parse_number_field(std::string_view field, std::string_view text, double min, double max);

}  // namespace orfeas::service
