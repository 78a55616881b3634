// The 3MF writer of a build without lib3mf (see threemf.h); threemf.cpp is its twin.
#include "orfeas/export/threemf.h"

#include "orfeas/export/format.h"

namespace orfeas::exporter {

bool threemf_available() {
  return false;
}

Status write_3mf(const mesh::Mesh& /*mesh*/, AtomicFile& /*out*/) {
  return format_available(Format::k3mf);  // the kUnavailable error
}

}  // namespace orfeas::exporter
