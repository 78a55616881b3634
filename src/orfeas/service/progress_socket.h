// ProgressSocket: the WebSocket endpoint /api/ws of `orfeas serve`, streaming job events (events.h)
// to browsers and scripts over the service's EventHub.
//
//   auto socket = ProgressSocket::create(*service, {.api_key = key});
//   server->add_websocket("/api/ws", socket);
//   ...
//   server->stop();   // before the service goes: sessions are let go first
//
// Protocol (text frames, JSON):
//   client → {"type": "subscribe", "jobs": ["<id>", …]}   or "jobs": "*" (every job)
//            {"type": "unsubscribe", "jobs": [...]}        or "*" (everything)
//            {"type": "ping"}
//   server → {"type": "subscribed"|"unsubscribed", "jobs": [...]|"*"}  (the acknowledgement)
//            the job events: {"type": "queued"|"started"|"progress"|"completed"|"failed"|"cancelled", "job", …}
//            {"type": "pong"}, {"type": "heartbeat"} every heartbeat_interval,
//            {"type": "error", "code", "message"} for a message it cannot take (the connection stays).
// A subscriber to a job that is already final gets its final event at once (after the
// acknowledgement); a job's final event is sent once per connection, and nothing of that job
// after it. Unknown ids are refused with an error naming them; the others are still subscribed.
// Events of a running job may arrive before the acknowledgement.
//
// API key: browsers cannot set Authorization on a WebSocket, so with a key the upgrade must carry
// "Authorization: Bearer <key>" or "?api_key=<key>"; otherwise accept() answers 401.
//
// Slow clients: events go through WebSocketSession::send, whose bounded queue closes a client that
// falls behind; publishing never waits for a connection.
// Thread-safety: the handler's callbacks run on the server's threads, the event deliveries on the
// service's; every member may be called from any thread. The Service must outlive the socket's
// connections (stop the HTTP server before closing the service).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "orfeas/serve/http_server.h"
#include "orfeas/serve/http_types.h"
#include "orfeas/service/service.h"

namespace orfeas::service {

struct ProgressSocketOptions {
  std::optional<std::string> api_key;                    // set: upgrades must carry it
  std::chrono::milliseconds heartbeat_interval{15'000};  // 0: no heartbeats
  std::size_t max_subscriptions_per_connection = 1000;   // explicit job ids; "*" counts as none
};

// True when `request` carries `key` as "Authorization: Bearer <key>" (scheme case-insensitive) or as
// the query parameter api_key. The key is compared in constant time.
[[nodiscard]] bool request_carries_api_key(const serve::Request& request, std::string_view key);

class ProgressSocket final : public serve::WebSocketHandler {
 public:
  // `service` is borrowed and must outlive every connection.
  [[nodiscard]] static std::shared_ptr<ProgressSocket> create(Service& service, ProgressSocketOptions options);
  ~ProgressSocket() override;
  ProgressSocket(const ProgressSocket&) = delete;
  ProgressSocket& operator=(const ProgressSocket&) = delete;

  [[nodiscard]] std::optional<serve::Response> accept(const serve::Request& request) override;
  void on_open(const std::shared_ptr<serve::WebSocketSession>& session) override;
  void on_text(const std::shared_ptr<serve::WebSocketSession>& session, std::string_view text) override;
  void on_close(const std::shared_ptr<serve::WebSocketSession>& session) override;

  [[nodiscard]] std::size_t connection_count() const;

 private:
  class Connection;  // one per open session: its subscriptions and the sink the hub calls

  ProgressSocket(Service& service, ProgressSocketOptions options);
  [[nodiscard]] std::shared_ptr<Connection> find(const serve::WebSocketSession* session) const;
  void heartbeat_loop();

  Service& service_;  // borrowed
  const ProgressSocketOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable stop_requested_;
  bool stopping_ = false;
  std::map<const serve::WebSocketSession*, std::shared_ptr<Connection>> connections_;
  std::thread heartbeat_;  // started by create(), once the socket is built
};

}  // namespace orfeas::service
