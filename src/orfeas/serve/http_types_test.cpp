#include "orfeas/serve/http_types.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace orfeas::serve {
namespace {

TEST(PercentDecode, DecodesEscapesAndPlus) {
  EXPECT_EQ(percent_decode("a%20b%2Fc", false).value(), "a b/c");
  EXPECT_EQ(percent_decode("a+b", true).value(), "a b");
  EXPECT_EQ(percent_decode("a+b", false).value(), "a+b");
  EXPECT_EQ(percent_decode("%e2%82%AC", false).value(), "\xe2\x82\xac");
}

TEST(PercentDecode, RejectsBrokenEscapes) {
  for (const char* bad : {"%", "%4", "%zz", "a%g1"}) {
    const auto decoded = percent_decode(bad, false);
    ASSERT_FALSE(decoded) << bad;
    EXPECT_EQ(decoded.error().code(), ErrorCode::kInvalidArgument);
  }
}

TEST(ParseQuery, SplitsAndDecodes) {
  const QueryParams query = parse_query("a=1&b=x%20y&flag&&c=d+e&a=2").value();
  EXPECT_EQ(query.size(), 4U);
  EXPECT_EQ(query.at("a"), "2");
  EXPECT_EQ(query.at("b"), "x y");
  EXPECT_EQ(query.at("flag"), "");
  EXPECT_EQ(query.at("c"), "d e");
  EXPECT_FALSE(parse_query("a=%2"));
}

TEST(Headers, NamesAreCaseInsensitive) {
  Headers headers;
  headers.add("Content-Type", "text/plain");
  EXPECT_EQ(headers.get("content-type").value(), "text/plain");
  headers.set("CONTENT-TYPE", "application/json");
  EXPECT_EQ(headers.fields().size(), 1U);
  EXPECT_EQ(headers.get("Content-type").value(), "application/json");
  EXPECT_FALSE(headers.contains("Accept"));
}

TEST(JsonError, HasCodeAndMessage) {
  const Response response = json_error(404, "not_found", "no job \"x\"");
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(response.content_type, "application/json");
  const auto body = nlohmann::json::parse(response.body);
  EXPECT_EQ(body["error"]["code"], "not_found");
  EXPECT_EQ(body["error"]["message"], "no job \"x\"");
}

TEST(Methods, RoundTrip) {
  for (const Method m :
       {Method::kGet, Method::kHead, Method::kPost, Method::kPut, Method::kDelete, Method::kPatch, Method::kOptions})
    EXPECT_EQ(parse_method(method_name(m)), m);
  EXPECT_EQ(parse_method("get"), Method::kOther);
  EXPECT_EQ(parse_method("BREW"), Method::kOther);
}

TEST(TextHelpers, LowerCaseAndOptionalWhitespace) {
  EXPECT_EQ(ascii_lower("Content-TYPE: Image/PNG"), "content-type: image/png");
  EXPECT_EQ(trim_whitespace(" \t bytes=0-9\t "), "bytes=0-9");
  EXPECT_EQ(trim_whitespace(" \t "), "");
  EXPECT_EQ(trim_whitespace("a b"), "a b");
}

}  // namespace
}  // namespace orfeas::serve
