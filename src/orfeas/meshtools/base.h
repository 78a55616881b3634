// A base to stand on: a model for printing rests on a flat face instead of the point where its
// rounded bottom touches the bed.
//
//   BaseOptions options{.mode = BaseMode::kFlat, .size_mm = 80.0F};
//   ORFEAS_ASSIGN_OR_RETURN(const BaseReport report, add_base(mesh, options));
//   if (!report.stable) warn(report.note);  // "… try --base plinth"
//
// Modes (`--base`):
//   - flat:   the bottom is cut off by a horizontal plane (plane_cut.h) at the lowest height that
//             gives a stable footprint, and closed with a flat cap. Stable: the cross-section is at
//             least `min_footprint_share` of the model's largest horizontal cross-section and at
//             least `min_footprint_mm2`, and the centre of mass of the solid above the cut
//             (volume integrals over the closed mesh) projects inside the footprint's convex hull
//             at least `min_margin_share` of the footprint's equivalent radius and `min_margin_mm`
//             away from its edge. At most `max_cut_share` of the height is cut; when no height up to
//             that is stable the cut goes where the centre of mass is best supported (or at that
//             limit), `stable` is false and `note` says so.
//   - plinth: the bottom is cut just enough for a flat join (a quarter of the flat footprint's
//             area, or the same limit), and a plate `plinth_thickness_mm` thick is added under it:
//             the bounding rectangle of the join and of a square around the centre of mass as
//             large as the flat base's least footprint, plus `plinth_margin_mm` all round. Its top face is triangulated
//             with the cut's loops as holes, sharing their vertices, so model and plate are one closed surface.
//   - none:   the mesh is left as it is. `auto` is the caller's to resolve (flat for print formats,
//             none otherwise; see resolve_base_mode); here it means none.
// The result is closed, manifold and consistently oriented whenever the input is; when the cut
// cannot be closed (a self-intersecting input) the mesh is left unchanged and `note` says why.
//
// Units: the mesh is in model units (Y up, mesh.h); millimetres are those of the finished model
// whose longest side is `size_mm` (as export scales it). The added plate makes the model a little
// larger, so after export's scaling the plate is a little thinner than asked.
//
// Thread-safety: pure functions. Time: O(F) to choose the height (one pass over the faces into 200
// levels), O(F) for the cut, O(n²) in the cut's vertices for the caps.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "orfeas/core/status.h"
#include "orfeas/export/format.h"
#include "orfeas/mesh/mesh.h"
#include "orfeas/meshtools/polygon_triangulation.h"

namespace orfeas::meshtools {

enum class BaseMode { kAuto, kNone, kFlat, kPlinth };

// "auto", "none", "flat" or "plinth"; kInvalidArgument otherwise.
[[nodiscard]] Result<BaseMode> parse_base_mode(std::string_view name);
[[nodiscard]] std::string_view base_mode_name(BaseMode mode);
// kAuto: flat for a print format (exporter::is_print_format), none otherwise; other modes as given.
[[nodiscard]] BaseMode resolve_base_mode(BaseMode mode, exporter::Format format);

struct BaseOptions {
  BaseMode mode = BaseMode::kNone;
  float size_mm = 100.0F;             // the finished model's longest side
  double max_cut_share = 0.2;         // of the model's height, at most
  double min_footprint_share = 0.12;  // of the largest horizontal cross-section
  double min_footprint_mm2 = 25.0;
  double min_margin_share = 0.1;  // of the footprint's equivalent radius sqrt(area / pi)
  double min_margin_mm = 1.0;
  double plinth_thickness_mm = 3.0;
  double plinth_margin_mm = 4.0;
};

// The height a flat base cuts at, and what it gives.
struct CutChoice {
  float height = 0.0F;           // model units
  double cut_share = 0.0;        // of the model's height below it
  double footprint_area = 0.0;   // model units², the cross-section there
  double largest_section = 0.0;  // model units², the largest horizontal cross-section found
  double centre_x = 0.0;         // the centre of mass of the solid above, model units
  double centre_z = 0.0;
  double margin = 0.0;  // its distance inside the footprint's hull (negative: outside)
  bool stable = false;
  std::vector<Point2> outline;  // the footprint's convex hull in (x, z), counter-clockwise
};

struct BaseReport {
  BaseMode mode = BaseMode::kNone;  // what was done (none when the mesh was left as it was)
  bool stable = true;               // false: a flat base that does not carry the centre of mass
  float cut_height = 0.0F;          // model units
  double cut_share = 0.0;           // of the model's height cut away
  double footprint_mm2 = 0.0;       // the flat face (or the plate) at size_mm
  std::string note;                 // for the user: an unstable base, or why none was made
};

// kInvalidArgument when an option is out of range (size_mm not positive, a share outside [0, 1]).
[[nodiscard]] Status validate(const BaseOptions& options);

// The flat base's height (see the overview). kInvalidArgument for bad options, a triangle past
// `positions`, a non-finite position or an empty or flat (zero height) mesh.
[[nodiscard]] Result<CutChoice> choose_cut_height(const mesh::Mesh& mesh, const BaseOptions& options);

// Rewrites `mesh` with the base `options.mode` asks for. Normals are dropped where the base was
// made (the caller recomputes them); colours of new vertices are interpolated or copied from the
// cut. Errors as choose_cut_height.
[[nodiscard]] Result<BaseReport> add_base(mesh::Mesh& mesh, const BaseOptions& options);

}  // namespace orfeas::meshtools
