#include "orfeas/serve/multipart.h"

#include <string>

#include <gtest/gtest.h>

namespace orfeas::serve {
namespace {

std::string form(const std::string& boundary, const std::vector<std::string>& parts) {
  std::string body;
  for (const std::string& part : parts) body += "--" + boundary + "\r\n" + part + "\r\n";
  return body + "--" + boundary + "--\r\n";
}

TEST(MultipartBoundary, PlainQuotedAndMissing) {
  EXPECT_EQ(multipart_boundary("multipart/form-data; boundary=abc123").value(), "abc123");
  EXPECT_EQ(multipart_boundary("Multipart/Form-Data; charset=utf-8; BOUNDARY=\"a b(c)\"").value(), "a b(c)");
  EXPECT_EQ(multipart_boundary("multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxk").value(),
            "----WebKitFormBoundary7MA4YWxk");
  EXPECT_EQ(multipart_boundary("multipart/form-data").error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(multipart_boundary("multipart/form-data; boundary=").error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(multipart_boundary("multipart/form-data; boundary=" + std::string(71, 'x')).error().code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(multipart_boundary("multipart/form-data; boundary=a\"b").error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(multipart_boundary("multipart/form-data; boundary=\"abc").error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(multipart_boundary("image/png; boundary=abc").error().code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(is_multipart_form("multipart/form-data; boundary=x"));
  EXPECT_TRUE(is_multipart_form(" MULTIPART/FORM-DATA"));
  EXPECT_FALSE(is_multipart_form("multipart/mixed; boundary=x"));
  EXPECT_FALSE(is_multipart_form("image/png"));
}

TEST(ParseMultipart, FieldsAndFilesWithBinaryBodies) {
  const std::string binary("\x89PNG\r\n\x1a\n\0\0\r\n--not-the-boundary\r\n", 31);
  const std::string body =
      "preamble to ignore\r\n" +
      form("XyZ", {"Content-Disposition: form-data; name=\"format\"\r\n\r\nglb",
                   "Content-Disposition: form-data; name=\"image\"; filename=\"duck \\\"1\\\".png\"\r\n"
                   "Content-Type: image/png\r\n\r\n" +
                       binary,
                   "content-disposition: FORM-DATA; NAME=empty\r\n\r\n"}) +
      "epilogue";
  const auto parts = parse_multipart(body, "XyZ");
  ASSERT_TRUE(parts.has_value()) << parts.error().message();
  ASSERT_EQ(parts->size(), 3U);
  EXPECT_EQ((*parts)[0].name, "format");
  EXPECT_EQ((*parts)[0].body, "glb");
  EXPECT_FALSE((*parts)[0].filename.has_value());
  EXPECT_EQ((*parts)[0].content_type, "text/plain");
  EXPECT_EQ((*parts)[1].name, "image");
  EXPECT_EQ((*parts)[1].filename, "duck \"1\".png");
  EXPECT_EQ((*parts)[1].content_type, "image/png");
  EXPECT_EQ(std::string((*parts)[1].body), binary);
  EXPECT_EQ((*parts)[2].name, "empty");
  EXPECT_EQ((*parts)[2].body, "");
  // The bodies are views into the request body: no copies.
  EXPECT_GE((*parts)[1].body.data(), body.data());
  EXPECT_LE((*parts)[1].body.data() + (*parts)[1].body.size(), body.data() + body.size());
}

TEST(ParseMultipart, FromARequestsContentType) {
  Request request;
  request.headers.set("Content-Type", "multipart/form-data; boundary=b1");
  request.body = form("b1", {"Content-Disposition: form-data; name=\"a\"\r\n\r\n1"});
  const auto parts = parse_multipart_form(request);
  ASSERT_TRUE(parts.has_value()) << parts.error().message();
  ASSERT_EQ(parts->size(), 1U);
  EXPECT_EQ((*parts)[0].body, "1");

  request.headers.set("Content-Type", "image/png");
  EXPECT_EQ(parse_multipart_form(request).error().code(), ErrorCode::kInvalidArgument);
  request.headers.set("Content-Type", "multipart/form-data");
  EXPECT_EQ(parse_multipart_form(request).error().code(), ErrorCode::kInvalidArgument);
}

TEST(ParseMultipart, HostileBodiesAreInvalidArguments) {
  const auto rejected = [](const std::string& body, const std::string& fragment, MultipartLimits limits = {}) {
    const auto parts = parse_multipart(body, "B", limits);
    ASSERT_FALSE(parts.has_value()) << body;
    EXPECT_EQ(parts.error().code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(parts.error().message().find(fragment), std::string::npos) << parts.error().message();
  };
  rejected("", "no boundary delimiter");
  rejected("just some bytes", "no boundary delimiter");
  rejected("--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nnever ends", "not terminated");
  rejected("--B\r\nContent-Disposition: form-data; name=\"a\"\r\n", "ends inside the headers");
  rejected("--B", "ends inside a delimiter line");
  rejected("--Bjunk\r\n", "not followed by CRLF");
  rejected(
      "--B\r\nContent-Disposition: form-data; name=\"a\"; x-big=\"" + std::string(10'000, 'x') + "\"\r\n\r\nv\r\n--B--",
      "longer than");
  rejected("--B\r\nX-Long: " + std::string(100'000, 'y'), "longer than");
  rejected("--B\r\nContent-Type: text/plain\r\n\r\nv\r\n--B--", "no Content-Disposition");
  rejected("--B\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nv\r\n--B--", "not form-data");
  rejected("--B\r\nContent-Disposition: form-data; filename=\"a\"\r\n\r\nv\r\n--B--", "has no name");
  rejected("--B\r\nContent-Disposition: form-data; name=\"a\r\n\r\nv\r\n--B--", "unterminated quoted");
  rejected("--B\r\nContent-Disposition: form-data; name=\"a\"\r\n folded\r\n\r\nv\r\n--B--", "folded");
  rejected("--B\r\n: no name\r\n\r\nv\r\n--B--", "without a name");

  std::string many;
  for (int i = 0; i < 5; ++i) many += "--B\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\nv\r\n";
  many += "--B--";
  rejected(many, "more than 4 parts", {.max_parts = 4, .max_part_header_bytes = 8192});
  EXPECT_EQ(parse_multipart(many, "B", {.max_parts = 5, .max_part_header_bytes = 8192})->size(), 5U);
  EXPECT_FALSE(parse_multipart(many, "").has_value());
}

TEST(ParseMultipart, AClosedBodyWithoutPartsIsEmpty) {
  const auto parts = parse_multipart("--B--\r\n", "B");
  ASSERT_TRUE(parts.has_value());
  EXPECT_TRUE(parts->empty());
}

}  // namespace
}  // namespace orfeas::serve
