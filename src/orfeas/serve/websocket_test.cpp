// WebSockets on loopback: echo, a slow reader dropped while others are served, stop(), and the
// handler's accept() refusing upgrades.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>
#include <boost/beast/websocket.hpp>

#include "orfeas/serve/http_server.h"
#include "orfeas/serve/test_client.h"

namespace orfeas::serve {
namespace {

using namespace std::chrono_literals;
using namespace orfeas::serve::testing;
namespace websocket = beast::websocket;

// Echoes text back; remembers the last session opened and counts closes.
class EchoHandler final : public WebSocketHandler {
 public:
  void on_open(const std::shared_ptr<WebSocketSession>& session) override {
    const std::lock_guard lock(mutex_);
    last_ = session;
    ++opened_;
    changed_.notify_all();
  }
  void on_text(const std::shared_ptr<WebSocketSession>& session, std::string_view text) override {
    session->send("echo:" + std::string(text));
  }
  void on_close(const std::shared_ptr<WebSocketSession>&) override {
    const std::lock_guard lock(mutex_);
    ++closed_;
    changed_.notify_all();
  }

  std::shared_ptr<WebSocketSession> wait_opened(int count) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, 5s, [&] { return opened_ >= count; });
    return opened_ >= count ? last_ : nullptr;
  }
  bool wait_closed(int count) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, 5s, [&] { return closed_ >= count; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::shared_ptr<WebSocketSession> last_;
  int opened_ = 0;
  int closed_ = 0;
};

using Client = websocket::stream<tcp::socket>;

std::unique_ptr<Client> open_client(asio::io_context& io, std::uint16_t port, const std::string& path) {
  auto client = std::make_unique<Client>(connect_loopback(io, port));
  client->handshake("127.0.0.1", path);
  return client;
}

std::string echo(Client& client, const std::string& text) {
  client.text(true);
  client.write(asio::buffer(text));
  beast::flat_buffer buffer;
  client.read(buffer);
  return beast::buffers_to_string(buffer.data());
}

struct Fixture {
  explicit Fixture(HttpServer::Options options = {}) {
    Router router;
    EXPECT_TRUE(
        router.add(Method::kGet, "/hello", [](const Request&, const PathParams&) { return json_response(200, "{}"); }));
    options.port = 0;
    auto created = HttpServer::create(options, std::move(router));
    EXPECT_TRUE(created);
    server = std::move(*created);
    server->add_websocket("/ws", handler);
    EXPECT_TRUE(server->start());
  }
  std::shared_ptr<EchoHandler> handler = std::make_shared<EchoHandler>();
  std::unique_ptr<HttpServer> server;
};

TEST(WebSocket, Echoes) {
  Fixture fixture;
  asio::io_context io;
  auto client = open_client(io, fixture.server->port(), "/ws");
  EXPECT_EQ(echo(*client, "hi"), "echo:hi");
  EXPECT_EQ(echo(*client, "again"), "echo:again");
  const auto session = fixture.handler->wait_opened(1);
  ASSERT_TRUE(session);
  EXPECT_EQ(session->path(), "/ws");
  client->close(websocket::close_code::normal);
  EXPECT_TRUE(fixture.handler->wait_closed(1));
  EXPECT_FALSE(session->is_open());
  EXPECT_FALSE(session->send("late"));
}

TEST(WebSocket, AnUnknownPathIs404) {
  Fixture fixture;
  asio::io_context io;
  Client client(connect_loopback(io, fixture.server->port()));
  EXPECT_THROW(client.handshake("127.0.0.1", "/other"), boost::system::system_error);
}

TEST(WebSocket, ASlowReaderIsDisconnectedWhileOthersAreServed) {
  HttpServer::Options options;
  options.websocket_max_queued_messages = 8;
  Fixture fixture(options);
  asio::io_context io;
  auto slow = open_client(io, fixture.server->port(), "/ws");  // never reads
  const auto slow_session = fixture.handler->wait_opened(1);
  ASSERT_TRUE(slow_session);
  auto fast = open_client(io, fixture.server->port(), "/ws");
  const auto fast_session = fixture.handler->wait_opened(2);
  ASSERT_TRUE(fast_session);
  std::atomic<std::size_t> fast_received{0};
  std::thread fast_reader([&] {
    beast::flat_buffer buffer;
    beast::error_code ec;
    while (!ec) {
      fast->read(buffer, ec);
      if (!ec) fast_received += buffer.size();
      buffer.consume(buffer.size());
    }
  });

  // The same stream to both, paced by the fast reader (never more than a few chunks ahead of it,
  // whatever the machine's speed or a sanitizer's slowdown); far more than the socket buffers
  // hold, so the slow client's queue fills and send() gives up on it without ever blocking.
  const std::string chunk(64 * 1024, 'x');
  constexpr std::size_t kAhead = 4;  // < websocket_max_queued_messages
  const auto start = std::chrono::steady_clock::now();
  std::size_t sent = 0;
  while (slow_session->send(chunk) && sent < 20'000) {
    EXPECT_TRUE(fast_session->send(chunk));
    ++sent;
    const std::size_t wanted = sent > kAhead ? (sent - kAhead) * chunk.size() : 0;
    while (fast_received.load() < wanted && std::chrono::steady_clock::now() - start < 20s) {
      std::this_thread::sleep_for(200us);
    }
  }
  EXPECT_LT(sent, 20'000U);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 20s);
  EXPECT_FALSE(slow_session->is_open());
  EXPECT_TRUE(fixture.handler->wait_closed(1));
  EXPECT_TRUE(fast_session->is_open());
  EXPECT_EQ(request(fixture.server->port(), http::verb::get, "/hello").result_int(), 200);
  fast_session->close();  // ends the reader
  fast_reader.join();
  EXPECT_EQ(fast_received.load(), sent * chunk.size());
}

TEST(WebSocket, StopClosesConnections) {
  Fixture fixture;
  asio::io_context io;
  auto client = open_client(io, fixture.server->port(), "/ws");
  EXPECT_EQ(echo(*client, "hi"), "echo:hi");
  const auto session = fixture.handler->wait_opened(1);
  const auto start = std::chrono::steady_clock::now();
  std::thread reader([&] {
    beast::flat_buffer buffer;
    beast::error_code ec;
    client->read(buffer, ec);  // answers the server's close frame
    EXPECT_EQ(ec, websocket::error::closed);
  });
  fixture.server->stop();
  reader.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  EXPECT_TRUE(fixture.handler->wait_closed(1));
  EXPECT_FALSE(session->send("after stop"));  // safe after the server stopped
}

// Accepts upgrades that carry ?key=k (or throws for ?key=throw), remembering the request it saw.
class GatedHandler final : public WebSocketHandler {
 public:
  std::optional<Response> accept(const Request& request) override {
    const std::lock_guard lock(mutex_);
    seen_ = request;
    const auto key = request.query.find("key");
    if (key != request.query.end() && key->second == "throw") throw std::runtime_error("accept failed");
    if (key != request.query.end() && key->second == "k") return std::nullopt;
    Response refusal = json_error(401, "unauthorized", "no key");
    refusal.headers.set("WWW-Authenticate", "Bearer");
    return refusal;
  }
  void on_open(const std::shared_ptr<WebSocketSession>&) override { ++opened; }
  void on_text(const std::shared_ptr<WebSocketSession>& session, std::string_view text) override {
    session->send("gated:" + std::string(text));
  }
  void on_close(const std::shared_ptr<WebSocketSession>&) override {}

  Request seen() {
    const std::lock_guard lock(mutex_);
    return seen_;
  }
  std::atomic<int> opened{0};

 private:
  std::mutex mutex_;
  Request seen_;
};

struct GatedFixture {
  GatedFixture() {
    HttpServer::Options options;
    options.port = 0;
    auto created = HttpServer::create(options, Router{});
    EXPECT_TRUE(created);
    server = std::move(*created);
    server->add_websocket("/gated", handler);
    EXPECT_TRUE(server->start());
  }
  std::shared_ptr<GatedHandler> handler = std::make_shared<GatedHandler>();
  std::unique_ptr<HttpServer> server;
};

TEST(WebSocket, AcceptSeesTheUpgradeRequestAndLetsItThrough) {
  GatedFixture fixture;
  asio::io_context io;
  Client client(connect_loopback(io, fixture.server->port()));
  client.set_option(
      websocket::stream_base::decorator([](websocket::request_type& request) { request.set("X-Probe", "yes"); }));
  client.handshake("127.0.0.1", "/gated?key=k&note=a%20b");
  EXPECT_EQ(echo(client, "hi"), "gated:hi");
  const Request seen = fixture.handler->seen();
  EXPECT_EQ(seen.method, Method::kGet);
  EXPECT_EQ(seen.path, "/gated");
  EXPECT_EQ(seen.query.at("note"), "a b");
  EXPECT_EQ(seen.headers.get("x-probe").value_or(""), "yes");
  EXPECT_EQ(fixture.handler->opened.load(), 1);
}

TEST(WebSocket, ARefusalIsAnsweredInsteadOfTheUpgrade) {
  GatedFixture fixture;
  const auto response = upgrade_by_hand(fixture.server->port(), "/gated?key=wrong");
  EXPECT_EQ(response.result_int(), 401);
  EXPECT_EQ(response[http::field::www_authenticate], "Bearer");
  EXPECT_EQ(response[http::field::content_type], "application/json");
  EXPECT_EQ(response.body(), R"({"error":{"code":"unauthorized","message":"no key"}})");
  EXPECT_FALSE(response.keep_alive());
  // A Beast client sees the handshake fail, and no session was opened.
  asio::io_context io;
  Client client(connect_loopback(io, fixture.server->port()));
  EXPECT_THROW(client.handshake("127.0.0.1", "/gated"), boost::system::system_error);
  EXPECT_EQ(fixture.handler->opened.load(), 0);
}

TEST(WebSocket, AnAcceptThatThrowsIsAnswered500) {
  GatedFixture fixture;
  const auto response = upgrade_by_hand(fixture.server->port(), "/gated?key=throw");
  EXPECT_EQ(response.result_int(), 500);
  EXPECT_NE(response.body().find("accept failed"), std::string::npos) << response.body();
  EXPECT_EQ(fixture.handler->opened.load(), 0);
}

TEST(WebSocket, ABrokenQueryInTheUpgradeIs400) {
  GatedFixture fixture;
  const auto response = upgrade_by_hand(fixture.server->port(), "/gated?key=%zz");
  EXPECT_EQ(response.result_int(), 400);
  EXPECT_EQ(fixture.handler->opened.load(), 0);
}

TEST(WebSocket, HandlersWithoutAnAcceptTakeEveryUpgrade) {
  Fixture fixture;
  const auto response = upgrade_by_hand(fixture.server->port(), "/ws?anything=1");
  EXPECT_EQ(response.result_int(), 101);
}

}  // namespace
}  // namespace orfeas::serve
