#include "orfeas/serve/websocket_handshake.h"

#include <cstdio>
#include <string>

#include <gtest/gtest.h>

namespace orfeas::serve::websocket {
namespace {

std::string hex(const std::array<std::uint8_t, 20>& digest) {
  std::string text;
  for (const std::uint8_t byte : digest) {
    char two[3];
    std::snprintf(two, sizeof two, "%02x", byte);
    text += two;
  }
  return text;
}

TEST(WebSocketHandshake, Sha1MatchesTheFipsVectors) {
  EXPECT_EQ(hex(sha1("")), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  EXPECT_EQ(hex(sha1("abc")), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(hex(sha1("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
  EXPECT_EQ(hex(sha1(std::string(1'000'000, 'a'))), "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
}

TEST(WebSocketHandshake, Base64PadsAsTheRfcSays) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64_encode(std::string("\xff\xfe", 2)), "//4=");
}

TEST(WebSocketHandshake, TheAcceptKeyOfTheRfcExample) {
  EXPECT_EQ(accept_key("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

Request upgrade(std::string version, std::string key) {
  Request request;
  request.method = Method::kGet;
  request.path = "/api/ws";
  if (!version.empty()) request.headers.add("Sec-WebSocket-Version", std::move(version));
  if (!key.empty()) request.headers.add("Sec-WebSocket-Key", std::move(key));
  return request;
}

TEST(WebSocketHandshake, AcceptsVersion13WithA16ByteKey) {
  const Result<std::string> accept = websocket_accept_for(upgrade("13", " dGhlIHNhbXBsZSBub25jZQ== "));
  ASSERT_TRUE(accept) << accept.error().message();
  EXPECT_EQ(*accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(WebSocketHandshake, RefusesOtherVersionsAndMalformedKeys) {
  const auto version = websocket_accept_for(upgrade("8", "dGhlIHNhbXBsZSBub25jZQ=="));
  ASSERT_FALSE(version);
  EXPECT_EQ(version.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(version.error().message().find("13"), std::string::npos);
  EXPECT_FALSE(websocket_accept_for(upgrade("", "dGhlIHNhbXBsZSBub25jZQ==")));
  EXPECT_FALSE(websocket_accept_for(upgrade("13", "")));
  EXPECT_FALSE(websocket_accept_for(upgrade("13", "Zm9v")));                          // 3 bytes
  EXPECT_FALSE(websocket_accept_for(upgrade("13", "dGhlIHNhbXBsZSBub25jZQ=")));       // not a multiple of 4
  EXPECT_FALSE(websocket_accept_for(upgrade("13", "dGhlIHNhbXBsZSBub25j!Q==")));      // not the alphabet
  EXPECT_FALSE(websocket_accept_for(upgrade("13", "dGhlIHNhbXBsZSBub2=jZQ==")));      // padding inside
  EXPECT_FALSE(websocket_accept_for(upgrade("13", "dGhlIHNhbXBsZSBub25jZQdhZQ==")));  // 19 bytes
}

}  // namespace
}  // namespace orfeas::serve::websocket
