// Test-only: small blocking clients (Beast over loopback) for the server's tests.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

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

}  // namespace orfeas::serve::testing
