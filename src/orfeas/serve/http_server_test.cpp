// The server on loopback, driven by real clients (Beast and raw sockets).
#include "orfeas/serve/http_server.h"

#include <atomic>
#include <chrono>
#include <future>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "orfeas/serve/test_client.h"

namespace orfeas::serve {
namespace {

using namespace std::chrono_literals;
using namespace orfeas::serve::testing;

std::string error_code_of(const http::response<http::string_body>& response) {
  return nlohmann::json::parse(response.body())["error"]["code"].get<std::string>();
}

Handler text(std::string body) {
  return [body](const Request&, const PathParams&) {
    Response response;
    response.content_type = "text/plain";
    response.body = body;
    return response;
  };
}

std::unique_ptr<HttpServer> start_server(Router router, HttpServer::Options options = {}) {
  options.port = 0;
  auto server = HttpServer::create(options, std::move(router));
  EXPECT_TRUE(server) << server.error().message();
  if (!server) return nullptr;
  EXPECT_TRUE((*server)->start());
  EXPECT_NE((*server)->port(), 0);
  return std::move(*server);
}

// A server answering GET /hello with "hello".
std::unique_ptr<HttpServer> hello_server(const HttpServer::Options& options = {}) {
  Router router;
  EXPECT_TRUE(router.add(Method::kGet, "/hello", text("hello")));
  return start_server(std::move(router), options);
}

TEST(HttpServer, ServesRoutesWithKeepAliveHeadQueryAndBody) {
  Router router;
  ASSERT_TRUE(router.add(Method::kGet, "/hello", text("hello")));
  ASSERT_TRUE(router.add(Method::kPost, "/echo/{id}", [](const Request& request, const PathParams& params) {
    Response response;
    response.content_type = "text/plain";
    response.headers.set("X-Id", params.at("id"));
    response.body =
        request.query.at("q") + "|" + std::string(request.headers.get("x-token").value_or("")) + "|" + request.body;
    return response;
  }));
  auto server = start_server(std::move(router));
  ASSERT_TRUE(server);

  asio::io_context io;
  tcp::socket socket = connect_loopback(io, server->port());
  auto hello = exchange(socket, http::request<http::string_body>(http::verb::get, "/hello", 11));
  EXPECT_EQ(hello.result_int(), 200);
  EXPECT_EQ(hello.body(), "hello");
  EXPECT_EQ(hello[http::field::content_type], "text/plain");
  EXPECT_TRUE(hello.keep_alive());

  http::request<http::string_body> post(http::verb::post, "/echo/a%20b?q=x+y%21", 11);
  post.set("X-Token", "t0k");
  post.body() = "payload";
  auto echoed = exchange(socket, std::move(post));  // the same connection: keep-alive
  EXPECT_EQ(echoed.result_int(), 200);
  EXPECT_EQ(echoed.body(), "x y!|t0k|payload");
  EXPECT_EQ(echoed["X-Id"], "a b");

  auto head = exchange(socket, http::request<http::string_body>(http::verb::head, "/hello", 11));
  EXPECT_EQ(head.result_int(), 200);
  EXPECT_EQ(head[http::field::content_length], "5");
  EXPECT_TRUE(head.body().empty());

  auto missing = exchange(socket, http::request<http::string_body>(http::verb::get, "/nope", 11));
  EXPECT_EQ(missing.result_int(), 404);
  EXPECT_EQ(error_code_of(missing), "not_found");
  auto wrong = exchange(socket, http::request<http::string_body>(http::verb::delete_, "/hello", 11));
  EXPECT_EQ(wrong.result_int(), 405);
  EXPECT_EQ(wrong[http::field::allow], "GET, HEAD");
  auto bad_query = exchange(socket, http::request<http::string_body>(http::verb::get, "/hello?q=%2", 11));
  EXPECT_EQ(bad_query.result_int(), 400);
}

TEST(HttpServer, AThrowingHandlerIs500AndTheNextRequestIsServed) {
  Router router;
  ASSERT_TRUE(router.add(Method::kGet, "/boom",
                         [](const Request&, const PathParams&) -> Response { throw std::runtime_error("kaput"); }));
  ASSERT_TRUE(router.add(Method::kGet, "/hello", text("hello")));
  auto server = start_server(std::move(router));
  ASSERT_TRUE(server);
  auto boom = request(server->port(), http::verb::get, "/boom");
  EXPECT_EQ(boom.result_int(), 500);
  EXPECT_EQ(error_code_of(boom), "internal");
  EXPECT_EQ(request(server->port(), http::verb::get, "/hello").body(), "hello");
}

TEST(HttpServer, ABodyOverTheLimitIs413) {
  Router router;
  ASSERT_TRUE(router.add(Method::kPost, "/upload", text("stored")));
  HttpServer::Options options;
  options.max_body_bytes = 1000;
  auto server = start_server(std::move(router), options);
  ASSERT_TRUE(server);
  EXPECT_EQ(request(server->port(), http::verb::post, "/upload", std::string(1000, 'x')).result_int(), 200);
  auto refused = request(server->port(), http::verb::post, "/upload", std::string(5000, 'x'));
  EXPECT_EQ(refused.result_int(), 413);
  EXPECT_EQ(error_code_of(refused), "payload_too_large");

  // Chunked, so the limit is found while reading the body.
  asio::io_context io;
  tcp::socket socket = connect_loopback(io, server->port());
  const std::string chunked = "POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
                              std::string("800\r\n") + std::string(0x800, 'y') + "\r\n0\r\n\r\n";
  asio::write(socket, asio::buffer(chunked));
  beast::error_code ec;
  EXPECT_NE(read_until_closed(socket, ec).find("413"), std::string::npos);
}

TEST(HttpServer, HeadersOverTheLimitAre431) {
  HttpServer::Options options;
  options.max_header_bytes = 1024;
  auto server = hello_server(options);
  ASSERT_TRUE(server);
  asio::io_context io;
  tcp::socket socket = connect_loopback(io, server->port());
  http::request<http::string_body> big(http::verb::get, "/hello", 11);
  big.set("X-Big", std::string(4000, 'a'));
  EXPECT_EQ(exchange(socket, std::move(big)).result_int(), 431);
}

TEST(HttpServer, AClientSendingHeadersSlowlyIsCutOff) {
  HttpServer::Options options;
  options.header_timeout = 400ms;
  auto server = hello_server(options);
  ASSERT_TRUE(server);

  asio::io_context io;
  tcp::socket socket = connect_loopback(io, server->port());
  const std::string request_text = "GET /hello HTTP/1.1\r\nHost: x\r\nX-Slow: " + std::string(200, 'z') + "\r\n\r\n";
  const auto start = std::chrono::steady_clock::now();
  bool cut_off = false;
  for (const char c : request_text) {  // one byte every 50 ms: 10 s for the whole request
    beast::error_code ec;
    asio::write(socket, asio::buffer(&c, 1), ec);
    if (ec) {
      cut_off = true;
      break;
    }
    socket.non_blocking(true);
    std::array<char, 64> probe{};
    socket.read_some(asio::buffer(probe), ec);  // EOF once the server has closed
    socket.non_blocking(false);
    if (ec && ec != asio::error::would_block) {
      cut_off = true;
      break;
    }
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_TRUE(cut_off);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  EXPECT_EQ(request(server->port(), http::verb::get, "/hello").body(), "hello");  // still serving
}

TEST(HttpServer, AnIdleKeepAliveConnectionIsClosed) {
  HttpServer::Options options;
  options.idle_timeout = 300ms;
  auto server = hello_server(options);
  ASSERT_TRUE(server);
  asio::io_context io;
  tcp::socket socket = connect_loopback(io, server->port());
  EXPECT_EQ(exchange(socket, http::request<http::string_body>(http::verb::get, "/hello", 11)).result_int(), 200);
  const auto start = std::chrono::steady_clock::now();
  beast::error_code ec;
  EXPECT_EQ(read_until_closed(socket, ec), "");
  EXPECT_EQ(ec, asio::error::eof);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
}

TEST(HttpServer, StopLetsARequestInFlightFinish) {
  std::promise<void> entered;
  Router router;
  ASSERT_TRUE(router.add(Method::kGet, "/slow", [&entered](const Request&, const PathParams&) {
    entered.set_value();
    std::this_thread::sleep_for(300ms);
    Response response;
    response.content_type = "text/plain";
    response.body = "done";
    return response;
  }));
  auto server = start_server(std::move(router));
  ASSERT_TRUE(server);
  const std::uint16_t port = server->port();

  asio::io_context io;
  tcp::socket idle = connect_loopback(io, port);  // an idle connection is closed by stop()
  auto in_flight = std::async(std::launch::async, [port] { return request(port, http::verb::get, "/slow"); });
  entered.get_future().wait();
  const auto start = std::chrono::steady_clock::now();
  server->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  const auto response = in_flight.get();
  EXPECT_EQ(response.result_int(), 200);
  EXPECT_EQ(response.body(), "done");
  EXPECT_FALSE(response.keep_alive());
  beast::error_code ec;
  read_until_closed(idle, ec);
  EXPECT_TRUE(ec);
  EXPECT_THROW(connect_loopback(io, port), boost::system::system_error);  // no longer accepting
  server->stop();                                                         // idempotent
}

TEST(HttpServer, CreateRefusesBadHostsAndBusyPorts) {
  HttpServer::Options options;
  options.host = "not an address";
  const auto bad = HttpServer::create(options, Router{});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), ErrorCode::kInvalidArgument);

  auto first = start_server(Router{});
  ASSERT_TRUE(first);
  options.host = "127.0.0.1";
  options.port = first->port();
  const auto busy = HttpServer::create(options, Router{});
  ASSERT_FALSE(busy);
  EXPECT_EQ(busy.error().code(), ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace orfeas::serve
