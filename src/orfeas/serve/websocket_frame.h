// WebSocket framing (RFC 6455 §5), the server's side: headers of the unmasked frames a server
// sends, and a reader that turns the masked frames a client sends into whole messages.
//
//   FrameReader reader(1 << 20);
//   std::vector<FrameReader::Message> messages;
//   if (auto violation = reader.feed(bytes, messages)) send_close(violation->code, violation->reason);
//   for (const auto& m : messages) ...;  // kText (valid UTF-8), kBinary, kPing, kPong, kClose
//
// Why our own and not Beast's websocket::stream: a stream's writes must all come from its strand,
// one composed operation per message. Fanning one event out to a thousand subscribers then costs a
// strand post and a composed write per connection; with the frames in our hands the server writes
// the same bytes (a server's frames are not masked, so every subscriber gets identical ones)
// straight to each socket from whichever thread is free (http_server.cpp). The handshake is
// websocket_handshake.h. No extensions (permessage-deflate) are offered, so RSV bits are errors.
//
// Thread-safety: FrameReader is a value with no shared state; the functions are pure.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace orfeas::serve::websocket {

enum class Opcode : std::uint8_t {
  kContinuation = 0x0,
  kText = 0x1,
  kBinary = 0x2,
  kClose = 0x8,
  kPing = 0x9,
  kPong = 0xA,
};

// Close status codes (RFC 6455 §7.4.1) the server sends.
inline constexpr std::uint16_t kCloseNormal = 1000;
inline constexpr std::uint16_t kCloseGoingAway = 1001;
inline constexpr std::uint16_t kCloseProtocolError = 1002;
inline constexpr std::uint16_t kCloseInvalidPayload = 1007;  // text that is not UTF-8
inline constexpr std::uint16_t kCloseTooBig = 1009;

// The header of a final, unmasked frame of `payload_bytes`: 2, 4 or 10 bytes.
struct FrameHeader {
  std::array<std::uint8_t, 10> bytes{};
  std::size_t size = 0;
};
[[nodiscard]] FrameHeader server_frame_header(Opcode opcode, std::uint64_t payload_bytes);

// A close frame's payload: the code, big-endian, then the reason (cut to fit a control frame's 125 bytes).
[[nodiscard]] std::string close_payload(std::uint16_t code, std::string_view reason);

// Whether `text` is well-formed UTF-8 (no overlong forms, surrogates or code points past U+10FFFF).
[[nodiscard]] bool is_valid_utf8(std::string_view text);

class FrameReader {
 public:
  struct Message {
    Opcode opcode = Opcode::kText;  // kText, kBinary, kPing, kPong or kClose
    std::string payload;            // unmasked; a close frame's is its reason
    std::uint16_t close_code = 0;   // kClose: the code sent, 0 when none was (1005 in the RFC's terms)
  };
  // What the client did wrong, and the close code to answer it with.
  struct Violation {
    std::uint16_t code = kCloseProtocolError;
    std::string reason;
  };

  // Messages (a data message reassembled from its fragments) larger than `max_message_bytes` are
  // a violation (kCloseTooBig).
  explicit FrameReader(std::size_t max_message_bytes) : max_message_bytes_(max_message_bytes) {}

  // Consumes `bytes` (any split of the stream), appending each message completed to `out`. After
  // a violation the reader is spent: later calls return the same violation.
  [[nodiscard]] std::optional<Violation> feed(std::span<const std::uint8_t> bytes, std::vector<Message>& out);

 private:
  // Parses one frame from the front of buffered_, if it is all there.
  [[nodiscard]] std::optional<Violation> take_frame(bool& took, std::vector<Message>& out);
  [[nodiscard]] std::optional<Violation> fail(std::uint16_t code, std::string reason);

  std::size_t max_message_bytes_;
  std::vector<std::uint8_t> buffered_;  // bytes of frames not complete yet
  std::size_t consumed_ = 0;            // of buffered_, already parsed
  std::optional<Opcode> fragmented_;    // the opcode of a data message whose fragments are arriving
  std::string message_;                 // its payload so far
  std::optional<Violation> violation_;
};

}  // namespace orfeas::serve::websocket
