// The 3MF writer of a build without lib3mf (see threemf.h); threemf.cpp is its twin.
#include "orfeas/export/threemf.h"

namespace orfeas::exporter {

bool threemf_available() {
  return false;
}

Status write_3mf(const mesh::Mesh& /*mesh*/, AtomicFile& /*out*/) {
  return make_error(ErrorCode::kUnavailable, "this build has no 3MF support (install lib3mf-dev and rebuild)");
}

}  // namespace orfeas::exporter
