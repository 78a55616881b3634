// WebSockets on loopback: echo, a slow reader dropped while others are served, stop(), the
// handler's accept() refusing upgrades, and the protocol's edges (pings both ways, a client that
// breaks the rules, a message too big, fan-out of one text to many connections in order).
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

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

TEST(WebSocket, AHandshakeWithTheWrongVersionIs400NamingTheOneWeSpeak) {
  Fixture fixture;
  asio::io_context io;
  tcp::socket socket = connect_loopback(io, fixture.server->port());
  http::request<http::string_body> message(http::verb::get, "/ws", 11);
  message.set(http::field::connection, "Upgrade");
  message.set(http::field::upgrade, "websocket");
  message.set(http::field::sec_websocket_key, "dGhlIHNhbXBsZSBub25jZQ==");
  message.set(http::field::sec_websocket_version, "8");
  const auto response = exchange(socket, std::move(message));
  EXPECT_EQ(response.result_int(), 400);
  EXPECT_EQ(response[http::field::sec_websocket_version], "13");
}

TEST(WebSocket, TheHandshakeAnswersWithTheRfcAcceptKey) {
  Fixture fixture;
  const auto response = upgrade_by_hand(fixture.server->port(), "/ws");
  EXPECT_EQ(response.result_int(), 101);
  EXPECT_EQ(response[http::field::sec_websocket_accept], "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  EXPECT_TRUE(beast::iequals(response[http::field::upgrade], "websocket"));
}

TEST(WebSocket, AClientsPingIsAnsweredWithItsPayload) {
  Fixture fixture;
  asio::io_context io;
  auto client = open_client(io, fixture.server->port(), "/ws");
  std::string pong;
  client->control_callback([&](websocket::frame_type kind, beast::string_view payload) {
    if (kind == websocket::frame_type::pong) pong = std::string(payload);
  });
  client->ping("are you there");
  EXPECT_EQ(echo(*client, "hi"), "echo:hi");  // the pong, sent before the echo, was read on the way
  EXPECT_EQ(pong, "are you there");
}

TEST(WebSocket, TheServerPingsASilentClientAndDropsOneThatNeverAnswers) {
  HttpServer::Options options;
  options.websocket_ping_interval = 100ms;
  Fixture fixture(options);
  asio::io_context io;
  // A Beast client that reads answers the pings, and stays.
  auto alive = open_client(io, fixture.server->port(), "/ws");
  int pings = 0;
  alive->control_callback([&](websocket::frame_type kind, beast::string_view) {
    if (kind == websocket::frame_type::ping) ++pings;
  });
  std::thread reader([&] {
    beast::flat_buffer buffer;
    beast::error_code ec;
    alive->read(buffer, ec);  // ends when the session is closed below
  });
  const auto alive_session = fixture.handler->wait_opened(1);
  ASSERT_TRUE(alive_session);
  // A connection that upgrades and then never reads or answers.
  tcp::socket mute = connect_loopback(io, fixture.server->port());
  const std::string upgrade =
      "GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
  asio::write(mute, asio::buffer(upgrade));
  const auto mute_session = fixture.handler->wait_opened(2);
  ASSERT_TRUE(mute_session);
  EXPECT_TRUE(fixture.handler->wait_closed(1));  // the mute one, after two silent intervals
  EXPECT_FALSE(mute_session->is_open());
  std::this_thread::sleep_for(300ms);  // three more intervals: the reading client stays
  EXPECT_TRUE(alive_session->is_open());
  alive_session->close();
  reader.join();
  EXPECT_GE(pings, 1);
}

TEST(WebSocket, AnUnmaskedFrameIsAProtocolErrorAndTheConnectionCloses) {
  Fixture fixture;
  asio::io_context io;
  tcp::socket socket = connect_loopback(io, fixture.server->port());
  const std::string upgrade =
      "GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
  asio::write(socket, asio::buffer(upgrade));
  beast::flat_buffer buffer;
  http::response<http::empty_body> switching;
  http::read(socket, buffer, switching);
  ASSERT_EQ(switching.result_int(), 101);
  ASSERT_TRUE(fixture.handler->wait_opened(1));
  const std::uint8_t unmasked[] = {0x81, 0x02, 'h', 'i'};
  asio::write(socket, asio::buffer(unmasked));
  beast::error_code ec;
  const std::string rest = beast::buffers_to_string(buffer.data()) + read_until_closed(socket, ec);
  // A close frame with 1002, then the server ends the connection; the text was never handled.
  ASSERT_GE(rest.size(), 4U);
  EXPECT_EQ(static_cast<std::uint8_t>(rest[0]), 0x88);
  EXPECT_EQ(static_cast<std::uint8_t>(rest[2]) * 256 + static_cast<std::uint8_t>(rest[3]), 1002);
  EXPECT_EQ(rest.find("echo:"), std::string::npos);
  socket.close();  // the server waits for our end of the connection (or its close timer)
  EXPECT_TRUE(fixture.handler->wait_closed(1));
}

TEST(WebSocket, AMessageOverTheLimitClosesWith1009) {
  HttpServer::Options options;
  options.websocket_max_message_bytes = 1024;
  Fixture fixture(options);
  asio::io_context io;
  auto client = open_client(io, fixture.server->port(), "/ws");
  EXPECT_EQ(echo(*client, std::string(1024, 'a')), "echo:" + std::string(1024, 'a'));
  client->write(asio::buffer(std::string(1025, 'a')));
  beast::flat_buffer buffer;
  beast::error_code ec;
  client->read(buffer, ec);
  EXPECT_EQ(ec, websocket::error::closed);
  EXPECT_EQ(client->reason().code, 1009);
  EXPECT_TRUE(fixture.handler->wait_closed(1));
}

// Remembers every session opened.
class CollectingHandler final : public WebSocketHandler {
 public:
  void on_open(const std::shared_ptr<WebSocketSession>& session) override {
    const std::lock_guard lock(mutex_);
    sessions_.push_back(session);
  }
  void on_text(const std::shared_ptr<WebSocketSession>&, std::string_view) override {}
  void on_close(const std::shared_ptr<WebSocketSession>&) override {}
  std::vector<std::shared_ptr<WebSocketSession>> sessions() {
    const std::lock_guard lock(mutex_);
    return sessions_;
  }

 private:
  std::mutex mutex_;
  std::vector<std::shared_ptr<WebSocketSession>> sessions_;
};

TEST(WebSocket, OneTextFannedOutReachesEveryConnectionInOrder) {
  HttpServer::Options options;
  options.port = 0;
  options.threads = 3;
  options.websocket_max_queued_messages = 4096;
  auto created = HttpServer::create(options, Router{});
  ASSERT_TRUE(created);
  auto handler = std::make_shared<CollectingHandler>();
  (*created)->add_websocket("/ws", handler);
  ASSERT_TRUE((*created)->start());
  constexpr int kClients = 40;
  constexpr int kMessages = 300;
  asio::io_context io;
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < kClients; ++i) clients.push_back(open_client(io, (*created)->port(), "/ws"));
  std::vector<std::shared_ptr<WebSocketSession>> sessions;
  for (int tries = 0; tries < 500 && sessions.size() < kClients; ++tries) {
    sessions = handler->sessions();
    std::this_thread::sleep_for(10ms);
  }
  ASSERT_EQ(sessions.size(), static_cast<std::size_t>(kClients));
  // Two publishers, as a worker's progress and an HTTP thread's cancel would be; each one's
  // messages must arrive in its order on every connection.
  auto publish = [&](char who) {
    for (int m = 0; m < kMessages; ++m) {
      auto text =
          std::make_shared<const std::string>(std::string(1, who) + std::to_string(m) + std::string(m % 200, '.'));
      for (const auto& session : sessions) EXPECT_TRUE(session->send_shared(text));
    }
  };
  std::thread first(publish, 'a');
  std::thread second(publish, 'b');
  for (auto& client : clients) {
    int next_a = 0;
    int next_b = 0;
    beast::flat_buffer buffer;
    while (next_a < kMessages || next_b < kMessages) {
      client->read(buffer);
      const std::string text = beast::buffers_to_string(buffer.data());
      buffer.consume(buffer.size());
      const int number = std::stoi(text.substr(1));
      if (text[0] == 'a') {
        ASSERT_EQ(number, next_a++);
      } else {
        ASSERT_EQ(number, next_b++);
      }
      ASSERT_EQ(text.size(), 1 + std::to_string(number).size() + static_cast<std::size_t>(number % 200));
    }
  }
  first.join();
  second.join();
}

}  // namespace
}  // namespace orfeas::serve
