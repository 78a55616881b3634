#include "orfeas/serve/router.h"

#include <stdexcept>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace orfeas::serve {
namespace {

Request make_request(Method method, std::string path) {
  Request request;
  request.method = method;
  request.method_text = std::string(method_name(method));
  request.path = std::move(path);
  return request;
}

std::string error_code_of(const Response& response) {
  return nlohmann::json::parse(response.body)["error"]["code"].get<std::string>();
}

Handler echo_params() {
  return [](const Request&, const PathParams& params) {
    std::string body;
    for (const auto& [name, value] : params) body += name + "=" + value + ";";
    Response response;
    response.content_type = "text/plain";
    response.body = body;
    return response;
  };
}

TEST(Router, MatchesLiteralAndParameterSegments) {
  Router router;
  ASSERT_TRUE(router.add(Method::kGet, "/healthz", echo_params()));
  ASSERT_TRUE(router.add(Method::kGet, "/api/jobs/{id}", echo_params()));
  ASSERT_TRUE(router.add(Method::kGet, "/api/jobs/{id}/files/{name}", echo_params()));

  EXPECT_EQ(router.handle(make_request(Method::kGet, "/healthz")).status, 200);
  const Response job = router.handle(make_request(Method::kGet, "/api/jobs/3f2a"));
  EXPECT_EQ(job.status, 200);
  EXPECT_EQ(job.body, "id=3f2a;");
  EXPECT_EQ(router.handle(make_request(Method::kGet, "/api/jobs/a%20b/files/x%2Fy.glb")).body, "id=a b;name=x/y.glb;");
  EXPECT_EQ(router.handle(make_request(Method::kGet, "/api/jobs/")).status, 404);  // {id} is never empty
  EXPECT_EQ(router.handle(make_request(Method::kGet, "/api/jobs")).status, 404);
  EXPECT_EQ(router.handle(make_request(Method::kGet, "/healthz/")).status, 404);
  EXPECT_EQ(router.handle(make_request(Method::kGet, "/api/jobs/%zz")).status, 400);
  EXPECT_EQ(error_code_of(router.handle(make_request(Method::kGet, "/nothing"))), "not_found");
}

TEST(Router, AnswersWrongMethodWith405AndAllow) {
  Router router;
  ASSERT_TRUE(router.add(Method::kGet, "/api/jobs/{id}", echo_params()));
  ASSERT_TRUE(router.add(Method::kDelete, "/api/jobs/{id}", echo_params()));
  const Response response = router.handle(make_request(Method::kPost, "/api/jobs/1"));
  EXPECT_EQ(response.status, 405);
  EXPECT_EQ(error_code_of(response), "method_not_allowed");
  EXPECT_EQ(response.headers.get("allow").value(), "GET, HEAD, DELETE");
}

TEST(Router, GetRoutesAnswerHead) {
  Router router;
  ASSERT_TRUE(router.add(Method::kGet, "/healthz", echo_params()));
  EXPECT_EQ(router.handle(make_request(Method::kHead, "/healthz")).status, 200);
}

TEST(Router, AThrowingHandlerBecomes500AndTheRouterKeepsWorking) {
  Router router;
  ASSERT_TRUE(router.add(Method::kGet, "/boom",
                         [](const Request&, const PathParams&) -> Response { throw std::runtime_error("kaput"); }));
  ASSERT_TRUE(router.add(Method::kGet, "/int", [](const Request&, const PathParams&) -> Response { throw 42; }));
  ASSERT_TRUE(router.add(Method::kGet, "/fine", echo_params()));
  const Response boom = router.handle(make_request(Method::kGet, "/boom"));
  EXPECT_EQ(boom.status, 500);
  EXPECT_EQ(error_code_of(boom), "internal");
  EXPECT_EQ(router.handle(make_request(Method::kGet, "/int")).status, 500);
  EXPECT_EQ(router.handle(make_request(Method::kGet, "/fine")).status, 200);
}

TEST(Router, RejectsBadPatterns) {
  Router router;
  for (const char* bad : {"", "healthz", "/a/{}", "/a/{id", "/a/x{id}", "/a/{id}/{id}", "/a/{i{d}"}) {
    const Status added = router.add(Method::kGet, bad, echo_params());
    ASSERT_FALSE(added) << bad;
    EXPECT_EQ(added.error().code(), ErrorCode::kInvalidArgument);
  }
  ASSERT_TRUE(router.add(Method::kGet, "/a/{id}", echo_params()));
  EXPECT_FALSE(router.add(Method::kGet, "/a/{id}", echo_params()));
  EXPECT_TRUE(router.add(Method::kPost, "/a/{id}", echo_params()));
  EXPECT_FALSE(router.add(Method::kGet, "/b", Handler{}));
  ASSERT_EQ(router.routes().size(), 2U);
  EXPECT_EQ(router.routes()[1].method, Method::kPost);
  EXPECT_EQ(router.routes()[1].pattern, "/a/{id}");
}

}  // namespace
}  // namespace orfeas::serve
