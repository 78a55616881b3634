#include <gtest/gtest.h>

#include <filesystem>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "orfeas/serve/router.h"
#include "orfeas/service/api.h"
#include "orfeas/testing/file_io.h"
#include "orfeas/testing/temp_dir.h"

namespace orfeas::service {
namespace {

namespace fs = std::filesystem;
using orfeas::testing::TempDir;
using orfeas::testing::write_text;

constexpr const char* kIndex = "<!doctype html><title>ORFEAS</title><script src=\"/assets/main-3KX7QW2B.js\"></script>";
constexpr const char* kScript = "console.log('orfeas');";
constexpr const char* kSecret = "outside the web root";

// A built UI in dir/dist, with a secret beside it that no request may reach.
class WebRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(root() / "assets");
    fs::create_directories(root() / "dashboard");
    fs::create_directories(root() / ".git");
    write_text(root() / "index.html", kIndex);
    write_text(root() / "assets" / "main-3KX7QW2B.js", kScript);
    write_text(root() / "assets" / "style.css", "body{}");
    write_text(root() / "assets" / "logo.svg", "<svg/>");
    write_text(root() / "assets" / "{odd}.js", "1");
    write_text(root() / "dashboard" / "index.html", "<!doctype html><title>dashboard</title>");
    write_text(root() / ".env", "API_KEY=hunter2");
    write_text(root() / ".git" / "config", "[core]");
    write_text(dir_.file("secret.txt"), kSecret);
    std::error_code ec;
    fs::create_symlink(dir_.file("secret.txt"), root() / "link.txt", ec);
    ASSERT_FALSE(ec) << ec.message();
    fs::create_directory_symlink(dir_.path(), root() / "up", ec);
    ASSERT_FALSE(ec) << ec.message();
  }

  [[nodiscard]] fs::path root() const { return dir_.path() / "dist"; }

  // The routes of root() in a router, as the server holds them.
  [[nodiscard]] serve::Router router() const {
    serve::Router router;
    for (ApiRoute& route : web_routes(root())) {
      const Status added = router.add(route.method, route.pattern, std::move(route.handler));
      EXPECT_TRUE(added) << added.error().message();
    }
    return router;
  }

  static serve::Response get(const serve::Router& router, std::string path,
                             std::optional<std::string> if_none_match = std::nullopt) {
    serve::Request request;
    request.method = serve::Method::kGet;
    request.path = std::move(path);
    if (if_none_match) request.headers.set("If-None-Match", *if_none_match);
    return router.handle(request);
  }

  TempDir dir_;
};

TEST_F(WebRoutesTest, ServesEachFileWithItsBytesTypeAndCachePolicy) {
  const serve::Router r = router();

  const serve::Response index = get(r, "/");
  EXPECT_EQ(index.status, 200);
  EXPECT_EQ(index.body, kIndex);
  EXPECT_EQ(index.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(index.headers.get("Cache-Control"), "no-cache");
  EXPECT_TRUE(index.headers.get("Content-Security-Policy").has_value());
  EXPECT_EQ(get(r, "/index.html").body, kIndex);

  const serve::Response script = get(r, "/assets/main-3KX7QW2B.js");
  EXPECT_EQ(script.status, 200);
  EXPECT_EQ(script.body, kScript);
  EXPECT_EQ(script.content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(script.headers.get("Cache-Control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(script.headers.get("X-Content-Type-Options"), "nosniff");
  EXPECT_FALSE(script.headers.get("Content-Security-Policy").has_value());

  const serve::Response style = get(r, "/assets/style.css");
  EXPECT_EQ(style.body, "body{}");
  EXPECT_EQ(style.content_type, "text/css; charset=utf-8");
  EXPECT_EQ(style.headers.get("Cache-Control"), "no-cache");  // no content hash in its name
  EXPECT_EQ(get(r, "/assets/logo.svg").content_type, "image/svg+xml");
}

TEST_F(WebRoutesTest, DirectoryIndexAnswersForTheDirectory) {
  const serve::Router r = router();
  for (const char* path : {"/dashboard", "/dashboard/", "/dashboard/index.html"}) {
    const serve::Response page = get(r, path);
    EXPECT_EQ(page.status, 200) << path;
    EXPECT_EQ(page.body, "<!doctype html><title>dashboard</title>") << path;
  }
  EXPECT_EQ(get(r, "/mesh").status, 404);  // no mesh/index.html: not a page
}

TEST_F(WebRoutesTest, NothingOutsideTheRootNorHiddenNorLinkedIsReachable) {
  const serve::Router r = router();
  for (const char* path :
       {"/../secret.txt", "/assets/../../secret.txt", "/%2e%2e/secret.txt", "/assets/%2E%2E/%2e%2e/secret.txt",
        "/..%2fsecret.txt", "/assets/..%2F..%2Fsecret.txt", "/%2e%2e%5csecret.txt", "/secret.txt", "/link.txt",
        "/up/secret.txt", "/up/dist/index.html", "/.env", "/.git/config", "/assets/{odd}.js", "/assets/", "/assets",
        "/assets/main-3KX7QW2B.js/", "//index.html", "/index.html%00.js"}) {
    const serve::Response response = get(r, path);
    EXPECT_NE(response.status, 200) << path;
    EXPECT_EQ(response.body.find(kSecret), std::string::npos) << path;
    EXPECT_EQ(response.body.find("hunter2"), std::string::npos) << path;
  }
}

TEST_F(WebRoutesTest, RevalidationWithTheETagAnswersNotModified) {
  const serve::Router r = router();
  const serve::Response first = get(r, "/");
  const std::optional<std::string_view> etag = first.headers.get("ETag");
  ASSERT_TRUE(etag.has_value());
  const std::string tag(*etag);

  const serve::Response same = get(r, "/", tag);
  EXPECT_EQ(same.status, 304);
  EXPECT_TRUE(same.body.empty());
  EXPECT_EQ(get(r, "/", "\"other\", W/" + tag).status, 304);
  EXPECT_EQ(get(r, "/", "\"other\"").status, 200);
  EXPECT_NE(get(r, "/assets/style.css").headers.get("ETag"), etag);  // another file, another tag
}

TEST_F(WebRoutesTest, ReadsTheFilesOnceAtConstruction) {
  const serve::Router r = router();
  write_text(root() / "assets" / "style.css", "changed");
  write_text(root() / "late.js", "added after");
  EXPECT_EQ(get(r, "/assets/style.css").body, "body{}");
  EXPECT_EQ(get(r, "/late.js").status, 404);
}

TEST_F(WebRoutesTest, NoIndexNoRoutes) {
  EXPECT_TRUE(web_routes({}).empty());
  EXPECT_TRUE(web_routes(dir_.file("missing")).empty());
  fs::remove(root() / "index.html");
  EXPECT_TRUE(web_routes(root()).empty());  // the server still runs, without a UI
}

TEST_F(WebRoutesTest, EveryRouteIsAGetWithASummary) {
  const std::vector<ApiRoute> routes = web_routes(root());
  // index.html twice (/, /index.html), dashboard three times, three assets.
  EXPECT_EQ(routes.size(), 8U);
  for (const ApiRoute& route : routes) {
    EXPECT_EQ(route.method, serve::Method::kGet) << route.pattern;
    EXPECT_FALSE(route.summary.empty()) << route.pattern;
    EXPECT_EQ(route.pattern.find(".."), std::string::npos) << route.pattern;
  }
}

}  // namespace
}  // namespace orfeas::service
