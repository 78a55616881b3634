#include "orfeas/serve/websocket_frame.h"

#include <algorithm>
#include <utility>

namespace orfeas::serve::websocket {
namespace {

constexpr std::size_t kMaxControlPayload = 125;

bool is_control(Opcode opcode) {
  return (static_cast<std::uint8_t>(opcode) & 0x8) != 0;
}

bool is_known(std::uint8_t opcode) {
  return opcode <= 0x2 || (opcode >= 0x8 && opcode <= 0xA);
}

// Close codes a peer may send (RFC 6455 §7.4): 1000–1003, 1007–1011, and 3000–4999 for
// applications; 1004–1006 and 1015 are reserved for reporting, never for the wire.
bool is_sendable_close_code(std::uint16_t code) {
  if (code >= 3000 && code <= 4999) return true;
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1011);
}

}  // namespace

FrameHeader server_frame_header(Opcode opcode, std::uint64_t payload_bytes) {
  FrameHeader header;
  header.bytes[0] = static_cast<std::uint8_t>(0x80 | static_cast<std::uint8_t>(opcode));  // FIN
  if (payload_bytes < 126) {
    header.bytes[1] = static_cast<std::uint8_t>(payload_bytes);
    header.size = 2;
  } else if (payload_bytes <= 0xFFFF) {
    header.bytes[1] = 126;
    header.bytes[2] = static_cast<std::uint8_t>(payload_bytes >> 8);
    header.bytes[3] = static_cast<std::uint8_t>(payload_bytes);
    header.size = 4;
  } else {
    header.bytes[1] = 127;
    for (int i = 0; i < 8; ++i) header.bytes[2 + i] = static_cast<std::uint8_t>(payload_bytes >> (56 - 8 * i));
    header.size = 10;
  }
  return header;
}

std::string close_payload(std::uint16_t code, std::string_view reason) {
  std::string payload;
  payload.push_back(static_cast<char>(code >> 8));
  payload.push_back(static_cast<char>(code & 0xFF));
  reason = reason.substr(0, kMaxControlPayload - 2);
  // Cut at a character boundary: the reason must stay valid UTF-8.
  while (!reason.empty() && !is_valid_utf8(reason)) reason.remove_suffix(1);
  payload.append(reason);
  return payload;
}

bool is_valid_utf8(std::string_view text) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t size = text.size();
  std::size_t i = 0;
  while (i < size) {
    const unsigned char lead = bytes[i];
    if (lead < 0x80) {
      ++i;
      continue;
    }
    std::size_t length = 0;
    std::uint32_t code = 0;
    std::uint32_t minimum = 0;
    if ((lead & 0xE0) == 0xC0) {
      length = 2, code = lead & 0x1F, minimum = 0x80;
    } else if ((lead & 0xF0) == 0xE0) {
      length = 3, code = lead & 0x0F, minimum = 0x800;
    } else if ((lead & 0xF8) == 0xF0) {
      length = 4, code = lead & 0x07, minimum = 0x10000;
    } else {
      return false;  // a continuation byte without a lead, or 0xF8 and above
    }
    if (size - i < length) return false;
    for (std::size_t k = 1; k < length; ++k) {
      if ((bytes[i + k] & 0xC0) != 0x80) return false;
      code = (code << 6) | (bytes[i + k] & 0x3F);
    }
    if (code < minimum || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return false;
    i += length;
  }
  return true;
}

std::optional<FrameReader::Violation> FrameReader::fail(std::uint16_t code, std::string reason) {
  violation_ = Violation{code, std::move(reason)};
  buffered_.clear();
  consumed_ = 0;
  message_.clear();
  return violation_;
}

std::optional<FrameReader::Violation> FrameReader::feed(std::span<const std::uint8_t> bytes,
                                                        std::vector<Message>& out) {
  if (violation_) return violation_;
  buffered_.insert(buffered_.end(), bytes.begin(), bytes.end());
  for (;;) {
    bool took = false;
    if (auto violation = take_frame(took, out)) return violation;
    if (!took) break;
  }
  // Keep only the unparsed tail.
  if (consumed_ > 0) {
    buffered_.erase(buffered_.begin(), buffered_.begin() + static_cast<std::ptrdiff_t>(consumed_));
    consumed_ = 0;
  }
  return std::nullopt;
}

std::optional<FrameReader::Violation> FrameReader::take_frame(bool& took, std::vector<Message>& out) {
  took = false;
  const std::uint8_t* data = buffered_.data() + consumed_;
  const std::size_t available = buffered_.size() - consumed_;
  if (available < 2) return std::nullopt;
  const bool fin = (data[0] & 0x80) != 0;
  if ((data[0] & 0x70) != 0) return fail(kCloseProtocolError, "reserved bits set (no extension was negotiated)");
  const std::uint8_t raw_opcode = data[0] & 0x0F;
  if (!is_known(raw_opcode)) return fail(kCloseProtocolError, "unknown opcode " + std::to_string(raw_opcode));
  const auto opcode = static_cast<Opcode>(raw_opcode);
  if ((data[1] & 0x80) == 0) return fail(kCloseProtocolError, "a client's frames must be masked");
  std::uint64_t length = data[1] & 0x7F;
  std::size_t header_bytes = 2;
  if (length == 126) {
    header_bytes = 4;
    if (available < header_bytes) return std::nullopt;
    length = (std::uint64_t{data[2]} << 8) | data[3];
  } else if (length == 127) {
    header_bytes = 10;
    if (available < header_bytes) return std::nullopt;
    length = 0;
    for (int i = 0; i < 8; ++i) length = (length << 8) | data[2 + i];
    if ((length >> 63) != 0) return fail(kCloseProtocolError, "a frame length with its top bit set");
  }
  if (is_control(opcode)) {
    if (!fin) return fail(kCloseProtocolError, "a fragmented control frame");
    if (length > kMaxControlPayload) return fail(kCloseProtocolError, "a control frame over 125 bytes");
  } else {
    if (opcode == Opcode::kContinuation && !fragmented_)
      return fail(kCloseProtocolError, "a continuation frame with no message to continue");
    if (opcode != Opcode::kContinuation && fragmented_)
      return fail(kCloseProtocolError, "a new message before the last one's final fragment");
    const std::size_t so_far = opcode == Opcode::kContinuation ? message_.size() : 0;
    if (length > max_message_bytes_ - std::min(so_far, max_message_bytes_))
      return fail(kCloseTooBig, "a message over " + std::to_string(max_message_bytes_) + " bytes");
  }
  header_bytes += 4;  // the masking key
  if (available < header_bytes || available - header_bytes < length) return std::nullopt;

  const std::uint8_t* mask = data + header_bytes - 4;
  std::string payload(static_cast<std::size_t>(length), '\0');
  const std::uint8_t* masked = data + header_bytes;
  for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>(masked[i] ^ mask[i & 3]);
  consumed_ += header_bytes + static_cast<std::size_t>(length);
  took = true;

  if (is_control(opcode)) {
    Message message{opcode, std::move(payload), 0};
    if (opcode == Opcode::kClose) {
      if (message.payload.size() == 1) return fail(kCloseProtocolError, "a close frame with a one-byte code");
      if (message.payload.size() >= 2) {
        const auto code = static_cast<std::uint16_t>((static_cast<std::uint8_t>(message.payload[0]) << 8) |
                                                     static_cast<std::uint8_t>(message.payload[1]));
        if (!is_sendable_close_code(code))
          return fail(kCloseProtocolError, "close code " + std::to_string(code) + " may not be sent");
        message.close_code = code;
        message.payload.erase(0, 2);
        if (!is_valid_utf8(message.payload)) return fail(kCloseInvalidPayload, "a close reason that is not UTF-8");
      }
    }
    out.push_back(std::move(message));
    return std::nullopt;
  }
  if (opcode != Opcode::kContinuation) {
    fragmented_ = opcode;
    message_ = std::move(payload);
  } else {
    message_.append(payload);
  }
  if (!fin) return std::nullopt;
  Message message{*fragmented_, std::move(message_), 0};
  fragmented_.reset();
  message_.clear();
  if (message.opcode == Opcode::kText && !is_valid_utf8(message.payload))
    return fail(kCloseInvalidPayload, "a text message that is not UTF-8");
  out.push_back(std::move(message));
  return std::nullopt;
}

}  // namespace orfeas::serve::websocket
