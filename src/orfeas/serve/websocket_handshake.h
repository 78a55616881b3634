// The server's half of the WebSocket opening handshake (RFC 6455 §4.2): is an upgrade request one
// we can accept, and the Sec-WebSocket-Accept value that proves we read it.
//
//   Result<std::string> accept = websocket_accept_for(request);  // kInvalidArgument → 400
//   response.headers.set("Sec-WebSocket-Accept", *accept);
//
// The rest of the protocol (frames) is websocket_frame.h. SHA-1 here serves only this key
// derivation, which the RFC fixes; it is nowhere used for security.
// Thread-safety: pure functions.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "orfeas/core/status.h"
#include "orfeas/serve/http_types.h"

namespace orfeas::serve::websocket {

// SHA-1 (FIPS 180-4) of `bytes`.
[[nodiscard]] std::array<std::uint8_t, 20> sha1(std::string_view bytes);
// Standard base64 with padding (RFC 4648 §4).
[[nodiscard]] std::string base64_encode(std::string_view bytes);

// base64(SHA-1(key + the RFC's GUID)).
[[nodiscard]] std::string accept_key(std::string_view client_key);

// For a GET that asks to upgrade to "websocket" (the caller checked Upgrade and Connection): the
// Sec-WebSocket-Accept value, or kInvalidArgument naming what is wrong (a version other than 13,
// a key that is not 16 bytes in base64).
[[nodiscard]] Result<std::string> websocket_accept_for(const Request& request);

}  // namespace orfeas::serve::websocket
