// lib3mf 1.x's plain C interface (NMR_DLLInterfaces.h) as the 3MF writer and the tests' 3MF reader
// use it: an owning handle for its objects and its error codes as Status values. Its functions
// return error codes instead of throwing; the object that failed holds the message. Built only
// with lib3mf (ORFEAS_3MF_ENABLED).
//
//   NMR::PLib3MFModel* raw = nullptr;
//   ORFEAS_RETURN_IF_ERROR(lib3mf_status(NMR::lib3mf_createmodel(&raw), nullptr, "create a model"));
//   const Lib3mfHandle model(raw);
//
// Thread-safety: a handle is used by one thread at a time.
#pragma once

#include <Model/COM/NMR_DLLInterfaces.h>

#include <memory>
#include <string_view>

#include "orfeas/core/status.h"

namespace orfeas::exporter {

struct Lib3mfRelease {
  void operator()(NMR::PLib3MFBase* handle) const noexcept { NMR::lib3mf_release(handle); }
};
// Owns one lib3mf object (model, mesh object, property handler, reader, writer, iterator...).
using Lib3mfHandle = std::unique_ptr<NMR::PLib3MFBase, Lib3mfRelease>;

// ok() for LIB3MF_OK; otherwise kInternal "lib3mf could not <what>: <its message> (error 0x…)",
// the message read from `handle` (borrowed; null for a call that was to create the object).
[[nodiscard]] Status lib3mf_status(int result, NMR::PLib3MFBase* handle, std::string_view what);

}  // namespace orfeas::exporter
