#include "orfeas/export/lib3mf_handle.h"

#include <fmt/format.h>

namespace orfeas::exporter {

Status lib3mf_status(int result, NMR::PLib3MFBase* handle, std::string_view what) {
  if (result == LIB3MF_OK) return ok();
  DWORD code = 0;
  LPCSTR message = nullptr;
  if (handle != nullptr && NMR::lib3mf_getlasterror(handle, &code, &message) == LIB3MF_OK && message != nullptr &&
      *message != '\0') {
    return make_error(ErrorCode::kInternal, fmt::format("lib3mf could not {}: {} (error {:#x})", what, message, code));
  }
  return make_error(ErrorCode::kInternal,
                    fmt::format("lib3mf could not {} (error {:#x})", what, static_cast<unsigned>(result)));
}

}  // namespace orfeas::exporter
