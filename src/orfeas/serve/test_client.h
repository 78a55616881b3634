// Test-only: small blocking clients (Beast over loopback) for the server's tests, and a WebSocket
// client whose reads give up after a time limit (for the service's and the end-to-end tests).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

namespace orfeas::serve::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

inline tcp::socket connect_loopback(asio::io_context& io, std::uint16_t port) {
  tcp::socket socket(io);
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  return socket;
}

// One request on an open connection; the response, or a response with result 0 when the connection
// failed (the error in `error`).
inline http::response<http::string_body> exchange(tcp::socket& socket, http::request<http::string_body> request,
                                                  beast::error_code* error = nullptr) {
  request.version(11);
  request.set(http::field::host, "127.0.0.1");
  request.prepare_payload();
  beast::error_code ec;
  http::write(socket, request, ec);
  http::response<http::string_body> response;
  if (!ec) {
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.skip(request.method() == http::verb::head);
    http::read(socket, buffer, parser, ec);
    if (!ec) response = parser.release();
  }
  if (ec) response.result(0u);
  if (error) *error = ec;
  return response;
}

// A fresh connection, one request.
inline http::response<http::string_body> request(std::uint16_t port, http::verb verb, const std::string& target,
                                                 std::string body = {}) {
  asio::io_context io;
  tcp::socket socket = connect_loopback(io, port);
  http::request<http::string_body> message(verb, target, 11);
  message.body() = std::move(body);
  return exchange(socket, std::move(message));
}

// A WebSocket upgrade request written by hand on a fresh connection, so the whole HTTP answer can
// be read: 101 when taken, the refusal (401, 404, ...) with its body otherwise.
inline http::response<http::string_body> upgrade_by_hand(std::uint16_t port, const std::string& target) {
  asio::io_context io;
  tcp::socket socket = connect_loopback(io, port);
  http::request<http::string_body> message(http::verb::get, target, 11);
  message.set(http::field::connection, "Upgrade");
  message.set(http::field::upgrade, "websocket");
  message.set(http::field::sec_websocket_key, "dGhlIHNhbXBsZSBub25jZQ==");
  message.set(http::field::sec_websocket_version, "13");
  return exchange(socket, std::move(message));
}

// Reads until the server closes the connection (or `limit` passes); what was read.
inline std::string read_until_closed(tcp::socket& socket, beast::error_code& ec) {
  std::string out;
  std::array<char, 4096> chunk{};
  while (true) {
    const std::size_t n = socket.read_some(asio::buffer(chunk), ec);
    out.append(chunk.data(), n);
    if (ec) return out;
  }
}

// A WebSocket client on loopback. Every read is bounded by a time limit, so a test waiting for a
// message that never comes fails instead of hanging.
//
//   WebSocketClient client;
//   ASSERT_TRUE(client.connect(port, "/api/ws?api_key=k")) << client.error().message();
//   client.send(R"({"type":"subscribe","jobs":"*"})");
//   std::optional<std::string> message = client.read(5s);
class WebSocketClient {
 public:
  using Headers = std::vector<std::pair<std::string, std::string>>;

  // The handshake; false (the error in error()) when it failed, e.g. refused with 401.
  bool connect(std::uint16_t port, const std::string& target, const Headers& headers = {}) {
    beast::error_code ec;
    tcp::socket socket(io_);
    socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
    if (ec) return fail(ec);
    ws_ = std::make_unique<beast::websocket::stream<tcp::socket>>(std::move(socket));
    ws_->set_option(beast::websocket::stream_base::decorator([headers](beast::websocket::request_type& request) {
      for (const auto& [name, value] : headers) request.set(name, value);
    }));
    ws_->handshake("127.0.0.1", target, ec);
    if (ec) return fail(ec);
    ws_->text(true);
    return true;
  }

  bool send(const std::string& text) {
    beast::error_code ec;
    ws_->write(asio::buffer(text), ec);
    return !ec || fail(ec);
  }

  // The next message, or nullopt when none came within `limit` or the connection ended.
  std::optional<std::string> read(std::chrono::milliseconds limit) {
    if (!ws_ || broken_) return std::nullopt;
    beast::flat_buffer buffer;
    bool done = false;
    beast::error_code result;
    ws_->async_read(buffer, [&](beast::error_code ec, std::size_t) {
      done = true;
      result = ec;
    });
    io_.restart();
    io_.run_for(limit);
    if (!done) {  // give up: the stream cannot be read again after a cancelled read
      broken_ = true;
      beast::error_code ignored;
      beast::get_lowest_layer(*ws_).cancel(ignored);
      io_.restart();
      io_.run();
      error_ = beast::error::timeout;
      return std::nullopt;
    }
    if (result) {
      fail(result);
      broken_ = true;
      return std::nullopt;
    }
    return beast::buffers_to_string(buffer.data());
  }

  void close() {
    beast::error_code ignored;
    if (ws_ && ws_->is_open()) ws_->close(beast::websocket::close_code::normal, ignored);
  }

  // Why connect, send or read failed (beast::websocket::error::upgrade_declined: the server refused
  // the upgrade; see upgrade_by_hand for its answer).
  [[nodiscard]] const beast::error_code& error() const { return error_; }

 private:
  bool fail(beast::error_code ec) {
    error_ = ec;
    return false;
  }

  asio::io_context io_;
  std::unique_ptr<beast::websocket::stream<tcp::socket>> ws_;
  beast::error_code error_;
  bool broken_ = false;
};

}  // namespace orfeas::serve::testing
