#include "orfeas/serve/websocket_frame.h"

#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace orfeas::serve::websocket {
namespace {

using Message = FrameReader::Message;

// A client's frame: masked with a fixed key (the reader must undo any key).
std::vector<std::uint8_t> client_frame(std::uint8_t first_byte, const std::string& payload,
                                       std::uint64_t claimed_length = UINT64_MAX) {
  const std::uint64_t length = claimed_length == UINT64_MAX ? payload.size() : claimed_length;
  std::vector<std::uint8_t> frame{first_byte};
  if (length < 126) {
    frame.push_back(static_cast<std::uint8_t>(0x80 | length));
  } else if (length <= 0xFFFF) {
    frame.insert(frame.end(), {0x80 | 126, static_cast<std::uint8_t>(length >> 8), static_cast<std::uint8_t>(length)});
  } else {
    frame.push_back(0x80 | 127);
    for (int i = 7; i >= 0; --i) frame.push_back(static_cast<std::uint8_t>(length >> (8 * i)));
  }
  const std::uint8_t mask[4] = {0x37, 0xfa, 0x21, 0x3d};
  frame.insert(frame.end(), mask, mask + 4);
  for (std::size_t i = 0; i < payload.size(); ++i) frame.push_back(static_cast<std::uint8_t>(payload[i]) ^ mask[i % 4]);
  return frame;
}

std::vector<std::uint8_t> join(std::initializer_list<std::vector<std::uint8_t>> parts) {
  std::vector<std::uint8_t> all;
  for (const auto& part : parts) all.insert(all.end(), part.begin(), part.end());
  return all;
}

TEST(WebSocketFrame, ServerHeadersUseTheShortestLengthForm) {
  const FrameHeader small = server_frame_header(Opcode::kText, 5);
  ASSERT_EQ(small.size, 2U);
  EXPECT_EQ(small.bytes[0], 0x81);
  EXPECT_EQ(small.bytes[1], 5);
  const FrameHeader edge = server_frame_header(Opcode::kText, 125);
  EXPECT_EQ(edge.size, 2U);
  const FrameHeader medium = server_frame_header(Opcode::kBinary, 126);
  ASSERT_EQ(medium.size, 4U);
  EXPECT_EQ(medium.bytes[0], 0x82);
  EXPECT_EQ(medium.bytes[1], 126);
  EXPECT_EQ(medium.bytes[2], 0);
  EXPECT_EQ(medium.bytes[3], 126);
  const FrameHeader large = server_frame_header(Opcode::kText, 0x10000);
  ASSERT_EQ(large.size, 10U);
  EXPECT_EQ(large.bytes[1], 127);
  EXPECT_EQ(large.bytes[7], 1);  // 0x00 00 00 00 00 01 00 00
  EXPECT_EQ(large.bytes[9], 0);
  EXPECT_EQ(server_frame_header(Opcode::kClose, 2).bytes[0], 0x88);
}

TEST(WebSocketFrame, ClosePayloadIsTheCodeThenAReasonCutAtACharacter) {
  EXPECT_EQ(close_payload(1001, "bye"), std::string("\x03\xe9"
                                                    "bye",
                                                    5));
  // 62 two-byte characters are 124 bytes: the 123 allowed end inside the last one, which is dropped.
  std::string long_reason;
  for (int i = 0; i < 62; ++i) long_reason += "\xc3\xa9";  // é
  const std::string payload = close_payload(1000, long_reason);
  EXPECT_EQ(payload.size(), 2U + 122U);
  EXPECT_TRUE(is_valid_utf8(payload.substr(2)));
}

TEST(WebSocketFrame, Utf8ValidationRejectsWhatTheRfcForbids) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("plain {\"type\":\"subscribe\"}"));
  EXPECT_TRUE(is_valid_utf8("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"));  // κόσμε
  EXPECT_TRUE(is_valid_utf8("\xf4\x8f\xbf\xbf"));                              // U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\xc0\xaf"));                                     // overlong '/'
  EXPECT_FALSE(is_valid_utf8("\xed\xa0\x80"));                                 // a surrogate
  EXPECT_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));                             // past U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\x80"));                                         // a lone continuation
  EXPECT_FALSE(is_valid_utf8("\xce"));                                         // cut short
  EXPECT_FALSE(is_valid_utf8("\xff"));
}

TEST(WebSocketFrame, ReadsMaskedMessagesSplitAnywhere) {
  const std::vector<std::uint8_t> stream =
      join({client_frame(0x81, "hello"), client_frame(0x89, "p"), client_frame(0x81, std::string(300, 'x')),
            client_frame(0x82, std::string(70'000, '\x01'))});
  for (std::size_t split : {std::size_t{1}, std::size_t{3}, std::size_t{7}, std::size_t{4096}, stream.size()}) {
    FrameReader reader(1 << 20);
    std::vector<Message> messages;
    for (std::size_t at = 0; at < stream.size(); at += split) {
      const std::size_t n = std::min(split, stream.size() - at);
      ASSERT_FALSE(reader.feed(std::span<const std::uint8_t>(stream.data() + at, n), messages)) << "split " << split;
    }
    ASSERT_EQ(messages.size(), 4U) << "split " << split;
    EXPECT_EQ(messages[0].opcode, Opcode::kText);
    EXPECT_EQ(messages[0].payload, "hello");
    EXPECT_EQ(messages[1].opcode, Opcode::kPing);
    EXPECT_EQ(messages[1].payload, "p");
    EXPECT_EQ(messages[2].payload, std::string(300, 'x'));
    EXPECT_EQ(messages[3].opcode, Opcode::kBinary);
    EXPECT_EQ(messages[3].payload.size(), 70'000U);
  }
}

TEST(WebSocketFrame, ReassemblesFragmentsWithControlFramesBetween) {
  FrameReader reader(1 << 20);
  std::vector<Message> messages;
  const auto stream = join({client_frame(0x01, "{\"type\":"), client_frame(0x8A, ""), client_frame(0x00, "\"sub"),
                            client_frame(0x80, "scribe\"}")});
  ASSERT_FALSE(reader.feed(stream, messages));
  ASSERT_EQ(messages.size(), 2U);
  EXPECT_EQ(messages[0].opcode, Opcode::kPong);
  EXPECT_EQ(messages[1].opcode, Opcode::kText);
  EXPECT_EQ(messages[1].payload, "{\"type\":\"subscribe\"}");
}

TEST(WebSocketFrame, ReadsTheCloseCodeAndReason) {
  FrameReader reader(1024);
  std::vector<Message> messages;
  ASSERT_FALSE(reader.feed(join({client_frame(0x88, std::string("\x03\xe8"
                                                                "done",
                                                                6)),
                                 client_frame(0x88, "")}),
                           messages));
  ASSERT_EQ(messages.size(), 2U);
  EXPECT_EQ(messages[0].opcode, Opcode::kClose);
  EXPECT_EQ(messages[0].close_code, 1000);
  EXPECT_EQ(messages[0].payload, "done");
  EXPECT_EQ(messages[1].close_code, 0);  // no code given
}

struct BadStream {
  const char* what;
  std::vector<std::uint8_t> bytes;
  std::uint16_t code;
};

TEST(WebSocketFrame, ProtocolViolationsAreReportedWithTheirCloseCode) {
  const std::vector<BadStream> cases = {
      {"unmasked", {0x81, 0x02, 'h', 'i'}, kCloseProtocolError},
      {"reserved bit", client_frame(0xC1, "hi"), kCloseProtocolError},
      {"unknown opcode", client_frame(0x83, "hi"), kCloseProtocolError},
      {"fragmented ping", client_frame(0x09, "p"), kCloseProtocolError},
      {"long ping", client_frame(0x89, std::string(126, 'p')), kCloseProtocolError},
      {"continuation first", client_frame(0x80, "x"), kCloseProtocolError},
      {"new message inside a fragmented one", join({client_frame(0x01, "a"), client_frame(0x81, "b")}),
       kCloseProtocolError},
      {"one-byte close", client_frame(0x88, "\x03"), kCloseProtocolError},
      {"reserved close code", client_frame(0x88, std::string("\x03\xed", 2)), kCloseProtocolError},  // 1005
      {"text not UTF-8", client_frame(0x81, "\xc0\xaf"), kCloseInvalidPayload},
      {"fragments not UTF-8 together", join({client_frame(0x01, "\xce"), client_frame(0x80, "x")}),
       kCloseInvalidPayload},
      {"too big", client_frame(0x81, std::string(65, 'x')), kCloseTooBig},
      {"fragments too big together",
       join({client_frame(0x01, std::string(40, 'x')), client_frame(0x80, std::string(40, 'x'))}), kCloseTooBig},
      {"a 2^63 claim", client_frame(0x82, "", std::uint64_t{1} << 63), kCloseProtocolError},
  };
  for (const BadStream& bad : cases) {
    FrameReader reader(64);
    std::vector<Message> messages;
    const auto violation = reader.feed(bad.bytes, messages);
    ASSERT_TRUE(violation) << bad.what;
    EXPECT_EQ(violation->code, bad.code) << bad.what;
    EXPECT_FALSE(violation->reason.empty()) << bad.what;
    EXPECT_TRUE(messages.empty()) << bad.what;
    // Spent: what follows is not read.
    EXPECT_TRUE(reader.feed(client_frame(0x81, "ok"), messages)) << bad.what;
    EXPECT_TRUE(messages.empty()) << bad.what;
  }
}

TEST(WebSocketFrame, AHugeClaimIsRefusedFromItsHeaderAlone) {
  FrameReader reader(1 << 20);
  std::vector<Message> messages;
  // Only the header of a frame that claims 2 GB: no payload byte is needed (or buffered) to refuse it.
  std::vector<std::uint8_t> header = client_frame(0x82, "", std::uint64_t{2} << 30);
  const auto violation = reader.feed(header, messages);
  ASSERT_TRUE(violation);
  EXPECT_EQ(violation->code, kCloseTooBig);
}

}  // namespace
}  // namespace orfeas::serve::websocket
