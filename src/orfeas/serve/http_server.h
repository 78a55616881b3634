// The HTTP/1.1 + WebSocket server: the one adapter between Boost.Beast/Asio and the service. The
// rest of the service sees only `Router`, `Request`/`Response` and the WebSocket interfaces below.
//
//   Router router;
//   ORFEAS_RETURN_IF_ERROR(router.add(Method::kGet, "/healthz", healthz));
//   ORFEAS_ASSIGN_OR_RETURN(auto server, HttpServer::create({.port = 0}, std::move(router)));
//   server->add_websocket("/api/events", events_handler);
//   ORFEAS_RETURN_IF_ERROR(server->start());
//   std::printf("listening on port %u\n", server->port());
//   ...
//   server->stop();  // in-flight requests finish, then the threads end
//
// Limits: header bytes (431), body bytes (413), a deadline for reading a request's headers and one
// for its body from their first byte (slowloris), an idle keep-alive deadline; all answered as
// `json_error` when an answer is still possible. Handlers run on the server's threads. A WebSocket
// upgrade goes to its path's handler, whose accept() may refuse it with an HTTP answer.
//
// Thread-safety: create/add_websocket/start/stop from one thread; port() from any. Handlers and
// WebSocket callbacks run on the server's threads, several at once.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "orfeas/core/status.h"
#include "orfeas/serve/router.h"

namespace orfeas::serve {

// One open WebSocket connection, given to the handler. Kept alive by the server while open; a
// handler may keep the shared_ptr to send later, from any thread.
class WebSocketSession {
 public:
  virtual ~WebSocketSession() = default;
  // Queues a text message; never blocks. False when the connection is closed or closing. When the
  // outgoing queue is full (a client reading slower than we write) the connection is closed, so a
  // slow client never holds the server's memory or threads.
  virtual bool send_shared(std::shared_ptr<const std::string> text) = 0;
  // The same for one message: send_shared() lets one text go to many sessions without a copy each
  // (an event fanned out to every subscriber).
  bool send(std::string text) { return send_shared(std::make_shared<const std::string>(std::move(text))); }
  // Closes the connection (a close frame when the client still reads); on_close follows.
  virtual void close() = 0;
  [[nodiscard]] virtual bool is_open() const = 0;
  // The request path the connection was opened on.
  [[nodiscard]] virtual const std::string& path() const = 0;
};

// Callbacks for the connections on one path. Called on the server's threads, one at a time per
// connection; must not throw (what they throw closes that connection).
class WebSocketHandler {
 public:
  virtual ~WebSocketHandler() = default;
  // Called with the upgrade request (method, path, query, headers; no body) before the handshake:
  // nullopt accepts it; a response is sent instead of the upgrade and the connection closed (e.g.
  // 401 when browsers, which cannot set headers on a WebSocket, bring no key in the query either).
  // The default accepts every upgrade. What it throws is answered 500.
  [[nodiscard]] virtual std::optional<Response> accept(const Request& request);
  virtual void on_open(const std::shared_ptr<WebSocketSession>& session) = 0;
  virtual void on_text(const std::shared_ptr<WebSocketSession>& session, std::string_view text) = 0;
  // Once per session that had on_open, whoever closed it.
  virtual void on_close(const std::shared_ptr<WebSocketSession>& session) = 0;
};

class HttpServer {
 public:
  struct Options {
    std::string host = "127.0.0.1";
    std::uint16_t port = 8080;  // 0: an ephemeral port, see port()
    unsigned threads = 2;
    std::size_t max_header_bytes = 16 * 1024;
    std::size_t max_body_bytes = 16 * 1024 * 1024;
    std::chrono::milliseconds header_timeout{10'000};  // from a request's first byte to its last header
    std::chrono::milliseconds read_timeout{60'000};    // for its body
    std::chrono::milliseconds idle_timeout{30'000};    // keep-alive: waiting for the next request
    std::chrono::milliseconds write_timeout{60'000};   // for sending a response
    std::chrono::milliseconds stop_timeout{10'000};    // stop(): how long in-flight requests may take
    std::size_t websocket_max_message_bytes = 1024 * 1024;
    std::size_t websocket_max_queued_messages = 256;            // per connection, then it is closed
    std::chrono::milliseconds websocket_ping_interval{20'000};  // a silent client is dropped after two
  };

  // Binds and listens (so port() is known), serving nothing until start(). kInvalidArgument for a
  // bad host or option, kUnavailable when the address cannot be bound.
  [[nodiscard]] static Result<std::unique_ptr<HttpServer>> create(const Options& options, Router router);

  ~HttpServer();  // stop()s
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // WebSocket upgrades on `path` (exact) go to `handler`; before start().
  void add_websocket(std::string path, std::shared_ptr<WebSocketHandler> handler);

  // Starts accepting on the server's threads.
  [[nodiscard]] Status start();

  // The bound port (the ephemeral one when created with port 0).
  [[nodiscard]] std::uint16_t port() const;

  // Stops accepting, closes idle connections and WebSockets, lets requests in flight finish (at
  // most stop_timeout, then they are cut), and joins the threads. Idempotent.
  void stop();

 private:
  struct Impl;
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace orfeas::serve
