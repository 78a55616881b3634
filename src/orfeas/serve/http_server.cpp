// The Beast/Asio side of the server. Every connection runs on its own strand; the server keeps
// weak references to them so stop() can close them, and counts them so stop() can wait. Beast
// reads and writes HTTP; after a WebSocket upgrade the connection speaks the frames of
// websocket_frame.h itself, so that its writes can leave the strand (see WebSocketSessionImpl).
#include "orfeas/serve/http_server.h"

#include <sys/socket.h>
#include <sys/uio.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <exception>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include "orfeas/serve/websocket_frame.h"
#include "orfeas/serve/websocket_handshake.h"

namespace orfeas::serve {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr std::chrono::milliseconds kLingerTimeout{500};  // reading what a client still sends after our last response
constexpr std::size_t kLingerMaxBytes = 1024 * 1024;

// What stop() can ask of a connection (on any thread; the connection hops onto its strand).
class Connection {
 public:
  virtual ~Connection() = default;
  virtual void shutdown() = 0;
};

class WebSocketSessionImpl;

// State the server shares with its connections; they keep it alive.
struct Shared {
  HttpServer::Options options;
  Router router;
  std::map<std::string, std::shared_ptr<WebSocketHandler>, std::less<>> websockets;
  std::atomic<bool> stopping{false};

  std::mutex mutex;  // guards the members below
  std::condition_variable all_closed;
  std::size_t open_connections = 0;
  std::vector<std::weak_ptr<Connection>> connections;

  // Held while posting to the io_context from outside its threads; `can_post` turns false before
  // the io_context is destroyed, so a WebSocketSession kept by a handler never posts to nothing.
  std::mutex post_mutex;
  bool can_post = true;
  asio::io_context* io = nullptr;  // borrowed from the server; posted to under post_mutex while can_post

  // WebSocket sessions with frames to write, and how many threads are writing them
  // (drain_ready_sessions; at most options.threads).
  std::mutex ready_mutex;
  std::deque<std::shared_ptr<WebSocketSessionImpl>> ready;
  unsigned drainers = 0;

  void opened(const std::shared_ptr<Connection>& connection) {
    const std::lock_guard lock(mutex);
    ++open_connections;
    std::erase_if(connections, [](const auto& weak) { return weak.expired(); });
    connections.push_back(connection);
  }
  void closed() {
    const std::lock_guard lock(mutex);
    --open_connections;
    if (open_connections == 0) all_closed.notify_all();
  }
};

// Counts a connection open for its whole life.
class ConnectionCount {
 public:
  explicit ConnectionCount(std::shared_ptr<Shared> shared) : shared_(std::move(shared)) {}
  ~ConnectionCount() { shared_->closed(); }
  ConnectionCount(const ConnectionCount&) = delete;
  ConnectionCount& operator=(const ConnectionCount&) = delete;
  [[nodiscard]] Shared& shared() const { return *shared_; }
  [[nodiscard]] const std::shared_ptr<Shared>& pointer() const { return shared_; }

 private:
  std::shared_ptr<Shared> shared_;
};

void run_callback(const char* what, const std::function<void()>& callback) {
  try {
    callback();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "orfeas serve: a WebSocket %s callback threw: %s\n", what, e.what());
  } catch (...) {
    std::fprintf(stderr, "orfeas serve: a WebSocket %s callback threw\n", what);
  }
}

// Our Request from Beast's: method, path, query (percent-decoded), headers and, moved, the body.
// kInvalidArgument for a broken query escape.
Result<Request> to_request(http::request<http::string_body>& message) {
  Request request;
  request.method_text = std::string(message.method_string());
  request.method = parse_method(request.method_text);
  const std::string_view target(message.target().data(), message.target().size());
  const std::size_t question = target.find('?');
  request.path = std::string(target.substr(0, question));
  if (question != std::string_view::npos) {
    ORFEAS_ASSIGN_OR_RETURN(request.query, parse_query(target.substr(question + 1)));
  }
  for (const auto& field : message) request.headers.add(std::string(field.name_string()), std::string(field.value()));
  request.body = std::move(message.body());
  return request;
}

class WebSocketConnection;

// Hands `session` to the threads that write (drain_ready_sessions).
void schedule_write(const std::shared_ptr<Shared>& shared, std::shared_ptr<WebSocketSessionImpl> session);

// A frame waiting to go out: its header and its payload, shared with every other session sent the
// same text (a server's frames are unmasked, so the bytes are the same for all).
struct OutgoingFrame {
  websocket::FrameHeader header;
  std::shared_ptr<const std::string> payload;
  std::size_t written = 0;  // of header + payload
  bool is_message = false;  // the handler's, counted against the queue's limit
  bool is_close = false;
  [[nodiscard]] std::size_t size() const { return header.size + payload->size(); }
};

// What handlers hold: the outgoing queue, the socket's descriptor to write it to, and a weak
// reference to the connection (owned by its pending operations), which reads.
//
// Writes happen on whichever server thread is free, not on the connection's strand: a session with
// frames to send is put on the server's ready list (schedule_write) and a draining thread writes
// them with one non-blocking sendmsg for as many frames as are queued. When the socket is full the
// connection's strand waits until it is writable. The mutex orders the writers with the strand
// closing the descriptor, so no write ever reaches a descriptor number the kernel has reused.
class WebSocketSessionImpl final : public WebSocketSession, public std::enable_shared_from_this<WebSocketSessionImpl> {
 public:
  enum class Action { kWaitWritable, kCloseSent, kClose, kAbort };

  WebSocketSessionImpl(std::shared_ptr<Shared> shared, std::string path, int descriptor)
      : shared_(std::move(shared)), path_(std::move(path)), descriptor_(descriptor) {}

  bool send_shared(std::shared_ptr<const std::string> text) override;
  void close() override;
  [[nodiscard]] bool is_open() const override {
    const std::lock_guard lock(mutex_);
    return open_;
  }
  [[nodiscard]] const std::string& path() const override { return path_; }

  // The connection's, on its strand.
  void attach(std::weak_ptr<WebSocketConnection> connection) { connection_ = std::move(connection); }
  // A pong or ping, after the frames queued; nothing once a close frame is queued.
  void send_control(websocket::Opcode opcode, std::string payload);
  // Stops taking messages and queues a close frame after them (with no code when `code` is 0);
  // false when one was already queued.
  bool begin_close(std::uint16_t code, std::string_view reason);
  // The socket was full; try again now (the caller has just armed a wait for writability, which
  // catches the socket emptying after this attempt).
  void retry_after_wait_armed() { write_now(/*arm_wait=*/false, /*after_wait=*/true); }
  // The socket reported writable.
  void writable() { write_now(/*arm_wait=*/true, /*after_wait=*/true); }
  // The descriptor is about to be closed: nothing is written to it from now on.
  void detach_socket() {
    const std::lock_guard lock(mutex_);
    open_ = false;
    socket_open_ = false;
    queue_.clear();
  }

  // The writers': sends what is queued without blocking.
  void write_now(bool arm_wait = true, bool after_wait = false);

 private:
  // Posts `action` to the connection's strand, if the connection and the server are still there.
  void post(Action action);
  // Queues a frame; schedules a write when the session was idle. False when nothing more may be sent.
  bool enqueue(websocket::Opcode opcode, std::shared_ptr<const std::string> payload, bool is_message);

  std::shared_ptr<Shared> shared_;
  const std::string path_;
  const int descriptor_;
  std::weak_ptr<WebSocketConnection> connection_;
  mutable std::mutex mutex_;         // guards the members below, and the descriptor while it is written
  std::deque<OutgoingFrame> queue_;  // a partly written frame stays at the front
  std::size_t queued_messages_ = 0;  // the handler's messages in queue_ (control frames are not counted)
  bool open_ = true;                 // the handler may send
  bool close_queued_ = false;
  bool socket_open_ = true;
  bool scheduled_ = false;  // on the ready list, or being written
  bool waiting_ = false;    // the socket was full: the strand waits for it to drain
};

class WebSocketConnection final : public Connection, public std::enable_shared_from_this<WebSocketConnection> {
 public:
  WebSocketConnection(tcp::socket socket, std::shared_ptr<Shared> shared, std::string path,
                      std::shared_ptr<WebSocketHandler> handler, std::string early_bytes)
      : count_(shared),
        socket_(std::move(socket)),
        ping_timer_(socket_.get_executor()),
        close_timer_(socket_.get_executor()),
        reader_(shared->options.websocket_max_message_bytes),
        handler_(std::move(handler)),
        session_(std::make_shared<WebSocketSessionImpl>(std::move(shared), std::move(path), socket_.native_handle())),
        early_bytes_(std::move(early_bytes)) {}

  ~WebSocketConnection() override { session_->detach_socket(); }

  // The handshake's answer is written: the handler hears of the session and reading begins.
  void start() {
    asio::dispatch(socket_.get_executor(), [self = shared_from_this()] {
      self->session_->attach(self->weak_from_this());
      self->last_read_ = std::chrono::steady_clock::now();
      run_callback("on_open", [&] { self->handler_->on_open(self->session_); });
      self->opened_ = true;
      if (self->count_.shared().stopping) self->start_close(websocket::kCloseGoingAway, "the server is stopping");
      if (!self->early_bytes_.empty()) {
        const std::string early = std::move(self->early_bytes_);
        self->received(reinterpret_cast<const std::uint8_t*>(early.data()), early.size());
      }
      self->read();
      self->tick();
    });
  }

  void shutdown() override {
    asio::dispatch(socket_.get_executor(), [self = shared_from_this()] {
      self->start_close(websocket::kCloseGoingAway, "the server is stopping");
    });
  }

  [[nodiscard]] auto get_executor() { return socket_.get_executor(); }

  // On the strand.
  void act(WebSocketSessionImpl::Action action) {
    switch (action) {
      case WebSocketSessionImpl::Action::kWaitWritable:
        if (finished_) return;
        socket_.async_wait(tcp::socket::wait_write, [self = shared_from_this()](beast::error_code ec) {
          if (!ec) self->session_->writable();
        });
        session_->retry_after_wait_armed();
        return;
      case WebSocketSessionImpl::Action::kCloseSent:
        close_sent_ = true;
        if (peer_closed_) {
          close_socket();  // the closing handshake is complete
        } else if (failing_) {
          // Its frames can no longer be read: end our side and discard what it still sends until
          // it closes too (or the close timer runs out), so it reads our close frame, not a reset.
          beast::error_code ignored;
          socket_.shutdown(tcp::socket::shutdown_send, ignored);
        }
        return;
      case WebSocketSessionImpl::Action::kClose:
        start_close(websocket::kCloseGoingAway, "");
        return;
      case WebSocketSessionImpl::Action::kAbort:
        close_socket();
        return;
    }
  }

 private:
  void read() {
    if (finished_) return;
    socket_.async_read_some(asio::buffer(read_buffer_),
                            [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                              if (ec) return self->close_socket();
                              self->received(self->read_buffer_.data(), n);
                              self->read();
                            });
  }

  void received(const std::uint8_t* bytes, std::size_t size) {
    last_read_ = std::chrono::steady_clock::now();
    messages_.clear();
    const std::optional<websocket::FrameReader::Violation> violation =
        reader_.feed(std::span<const std::uint8_t>(bytes, size), messages_);
    for (websocket::FrameReader::Message& message : messages_) {
      if (finished_) return;
      switch (message.opcode) {
        case websocket::Opcode::kText:
          if (!closing_) run_callback("on_text", [&] { handler_->on_text(session_, message.payload); });
          break;
        case websocket::Opcode::kPing:
          session_->send_control(websocket::Opcode::kPong, std::move(message.payload));
          break;
        case websocket::Opcode::kClose:
          peer_closed_ = true;
          if (!closing_) {
            start_close(message.close_code, "");  // the RFC's answer: the same code back
          } else if (close_sent_) {
            close_socket();
          }
          break;
        default:  // binary messages mean nothing to our handlers; pongs only show the peer is alive
          break;
      }
    }
    if (violation && !closing_) {
      // The RFC's "fail the connection": our close frame, then the socket, without waiting for an answer.
      failing_ = true;
      start_close(violation->code, violation->reason);
    }
  }

  // A close frame after what is queued; the socket closes when the peer answers it, or after a while.
  void start_close(std::uint16_t code, std::string_view reason) {
    if (finished_ || closing_) return;
    closing_ = true;
    session_->begin_close(code, reason);
    close_timer_.expires_after(kCloseTimeout);
    close_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (!ec) self->close_socket();
    });
  }

  // A ping when the peer has been silent for an interval; closed when a ping gets no answer (nor
  // anything else) within the next interval.
  void tick() {
    const std::chrono::milliseconds interval = count_.shared().options.websocket_ping_interval;
    ping_timer_.expires_after(interval);
    ping_timer_.async_wait([self = shared_from_this(), interval](beast::error_code ec) {
      if (ec || self->finished_) return;
      const auto now = std::chrono::steady_clock::now();
      if (self->ping_sent_ && self->last_read_ < self->ping_sent_at_) return self->close_socket();
      self->ping_sent_ = now - self->last_read_ >= interval;
      if (self->ping_sent_) {
        self->ping_sent_at_ = now;
        self->session_->send_control(websocket::Opcode::kPing, "");
      }
      self->tick();
    });
  }

  // Once: the descriptor is taken from the writers, closed, and the handler hears of it.
  void close_socket() {
    if (finished_) return;
    finished_ = true;
    session_->detach_socket();
    beast::error_code ignored;
    ping_timer_.cancel();
    close_timer_.cancel();
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
    if (opened_) run_callback("on_close", [&] { handler_->on_close(session_); });
  }

  static constexpr std::chrono::milliseconds kCloseTimeout{2'000};

  ConnectionCount count_;
  tcp::socket socket_;
  asio::steady_timer ping_timer_;
  asio::steady_timer close_timer_;
  websocket::FrameReader reader_;
  std::vector<websocket::FrameReader::Message> messages_;
  std::array<std::uint8_t, 16 * 1024> read_buffer_{};
  std::shared_ptr<WebSocketHandler> handler_;
  std::shared_ptr<WebSocketSessionImpl> session_;
  std::string early_bytes_;  // what the client sent right behind its upgrade request
  std::chrono::steady_clock::time_point last_read_;
  std::chrono::steady_clock::time_point ping_sent_at_;
  bool ping_sent_ = false;  // at the last tick
  bool failing_ = false;    // the peer broke the protocol (or a limit): we stop reading its frames
  bool opened_ = false;
  bool closing_ = false;      // our close frame is queued
  bool close_sent_ = false;   // and written
  bool peer_closed_ = false;  // the peer's close frame arrived
  bool finished_ = false;
};

void WebSocketSessionImpl::post(Action action) {
  const std::lock_guard post_lock(shared_->post_mutex);
  if (!shared_->can_post) return;
  const std::shared_ptr<WebSocketConnection> connection = connection_.lock();
  if (!connection) return;
  asio::post(connection->get_executor(), [connection, action] { connection->act(action); });
}

bool WebSocketSessionImpl::enqueue(websocket::Opcode opcode, std::shared_ptr<const std::string> payload,
                                   bool is_message) {
  bool overflow = false;
  bool schedule = false;
  {
    const std::lock_guard lock(mutex_);
    if (!socket_open_ || close_queued_ || (is_message && !open_)) return false;
    if (is_message && queued_messages_ >= shared_->options.websocket_max_queued_messages) {
      // The client reads slower than we write: drop it rather than hold its backlog.
      overflow = true;
      open_ = false;
      close_queued_ = true;
    } else {
      queue_.push_back(OutgoingFrame{websocket::server_frame_header(opcode, payload->size()), std::move(payload), 0,
                                     is_message, opcode == websocket::Opcode::kClose});
      if (is_message) ++queued_messages_;
      if (opcode == websocket::Opcode::kClose) close_queued_ = true;
      schedule = !scheduled_ && !waiting_;
      scheduled_ = scheduled_ || schedule;
    }
  }
  if (overflow) {
    post(Action::kAbort);
    return false;
  }
  if (schedule) schedule_write(shared_, shared_from_this());
  return true;
}

bool WebSocketSessionImpl::send_shared(std::shared_ptr<const std::string> text) {
  if (!text) return false;
  return enqueue(websocket::Opcode::kText, std::move(text), true);
}

void WebSocketSessionImpl::send_control(websocket::Opcode opcode, std::string payload) {
  static_cast<void>(enqueue(opcode, std::make_shared<const std::string>(std::move(payload)), false));
}

bool WebSocketSessionImpl::begin_close(std::uint16_t code, std::string_view reason) {
  {
    const std::lock_guard lock(mutex_);
    open_ = false;
  }
  return enqueue(
      websocket::Opcode::kClose,
      std::make_shared<const std::string>(code == 0 ? std::string() : websocket::close_payload(code, reason)), false);
}

void WebSocketSessionImpl::close() {
  {
    const std::lock_guard lock(mutex_);
    if (!open_) return;
    open_ = false;
  }
  post(Action::kClose);
}

void WebSocketSessionImpl::write_now(bool arm_wait, bool after_wait) {
  constexpr std::size_t kMaxFramesPerCall = 64;
  std::optional<Action> follow_up;
  {
    const std::lock_guard lock(mutex_);
    if (!after_wait) scheduled_ = false;
    if (after_wait) waiting_ = false;
    if (!socket_open_ || waiting_) return;
    while (!queue_.empty()) {
      std::array<iovec, 2 * kMaxFramesPerCall> parts{};
      std::size_t count = 0;
      for (std::size_t i = 0; i < queue_.size() && i < kMaxFramesPerCall; ++i) {
        OutgoingFrame& frame = queue_[i];
        if (frame.written < frame.header.size)
          parts[count++] = {frame.header.bytes.data() + frame.written, frame.header.size - frame.written};
        const std::size_t payload_done = frame.written > frame.header.size ? frame.written - frame.header.size : 0;
        if (frame.payload->size() > payload_done)
          parts[count++] = {const_cast<char*>(frame.payload->data()) + payload_done,
                            frame.payload->size() - payload_done};
      }
      msghdr message{};
      message.msg_iov = parts.data();
      message.msg_iovlen = count;
      const ssize_t sent = ::sendmsg(descriptor_, &message, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (sent < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
          waiting_ = true;
          if (arm_wait) follow_up = Action::kWaitWritable;
        } else {
          follow_up = Action::kAbort;  // the peer is gone
          open_ = false;
          socket_open_ = false;  // the strand closes it
          queue_.clear();
        }
        break;
      }
      auto left = static_cast<std::size_t>(sent);
      while (left > 0) {
        OutgoingFrame& front = queue_.front();
        const std::size_t remaining = front.size() - front.written;
        if (left < remaining) {
          front.written += left;
          break;
        }
        left -= remaining;
        if (front.is_close) follow_up = Action::kCloseSent;
        if (front.is_message) --queued_messages_;
        queue_.pop_front();
      }
    }
  }
  if (follow_up) post(*follow_up);
}

void drain_ready_sessions(Shared& shared);

void schedule_write(const std::shared_ptr<Shared>& shared, std::shared_ptr<WebSocketSessionImpl> session) {
  bool start_drainer = false;
  {
    const std::lock_guard lock(shared->ready_mutex);
    shared->ready.push_back(std::move(session));
    if (shared->drainers < shared->options.threads) {
      ++shared->drainers;
      start_drainer = true;
    }
  }
  if (!start_drainer) return;
  const std::lock_guard post_lock(shared->post_mutex);
  if (!shared->can_post || shared->io == nullptr) return;
  asio::post(*shared->io, [shared] { drain_ready_sessions(*shared); });
}

// Writes for ready sessions until there are none; up to options.threads of these run at once.
void drain_ready_sessions(Shared& shared) {
  constexpr std::size_t kBatch = 16;
  std::vector<std::shared_ptr<WebSocketSessionImpl>> batch;
  batch.reserve(kBatch);
  for (;;) {
    {
      const std::lock_guard lock(shared.ready_mutex);
      if (shared.ready.empty()) {
        --shared.drainers;
        return;
      }
      while (!shared.ready.empty() && batch.size() < kBatch) {
        batch.push_back(std::move(shared.ready.front()));
        shared.ready.pop_front();
      }
    }
    for (const auto& session : batch) session->write_now();
    batch.clear();
  }
}

class HttpSession final : public Connection, public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(tcp::socket&& socket, std::shared_ptr<Shared> shared)
      : count_(std::move(shared)), stream_(std::move(socket)) {}

  void run() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->wait_for_request(); });
  }

  void shutdown() override {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] {
      // A request being handled or answered finishes; a connection waiting for or reading a
      // request is closed now.
      // (cancelling the pending read, whose handler closes).
      if (!self->handling_) self->stream_.cancel();
    });
  }

 private:
  Shared& shared() const { return count_.shared(); }

  void wait_for_request() {
    handling_ = false;
    if (shared().stopping) return close_now();
    if (buffer_.size() > 0) return read_header();
    stream_.expires_after(shared().options.idle_timeout);
    stream_.async_read_some(buffer_.prepare(4096), [self = shared_from_this()](beast::error_code ec, std::size_t n) {
      self->buffer_.commit(n);
      if (ec) return self->close_now();
      self->read_header();
    });
  }

  void read_header() {
    const HttpServer::Options& options = shared().options;
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(options.max_header_bytes, UINT32_MAX)));
    parser_->body_limit(static_cast<std::uint64_t>(options.max_body_bytes));
    stream_.expires_after(options.header_timeout);
    http::async_read_header(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->on_read_error(ec);
      self->on_header();
    });
  }

  void on_header() {
    http::request<http::string_body>& request = parser_->get();
    if (beast::websocket::is_upgrade(request)) return upgrade();
    if (parser_->is_done()) return on_request();
    if (request[http::field::expect] == "100-continue") {
      // The client waits for this before sending its body.
      continue_ = std::make_shared<http::response<http::empty_body>>(http::status::continue_, request.version());
      stream_.expires_after(shared().options.write_timeout);
      http::async_write(stream_, *continue_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
        if (ec) return self->close_now();
        self->read_body();
      });
      return;
    }
    read_body();
  }

  void read_body() {
    stream_.expires_after(shared().options.read_timeout);
    http::async_read(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->on_read_error(ec);
      self->on_request();
    });
  }

  void on_read_error(beast::error_code ec) {
    if (ec == http::error::body_limit)
      return write(json_error(413, "payload_too_large",
                              "the body is larger than " + std::to_string(shared().options.max_body_bytes) + " bytes"),
                   false, false);
    if (ec == http::error::header_limit)
      return write(json_error(431, "headers_too_large", "the request headers are too large"), false, false);
    if (ec == beast::error::timeout || ec == http::error::end_of_stream || ec == asio::error::eof ||
        ec == asio::error::operation_aborted || ec == asio::error::connection_reset ||
        ec == http::error::partial_message)
      return close_now();  // nobody to answer, or a client too slow to deserve it
    write(json_error(400, "bad_request", "malformed HTTP request: " + ec.message()), false, false);
  }

  void upgrade() {
    http::request<http::string_body> request = parser_->release();
    version_ = request.version();
    const std::string_view target(request.target().data(), request.target().size());
    const std::string path(target.substr(0, target.find('?')));
    if (shared().stopping) return write(json_error(503, "unavailable", "the server is stopping"), false, false);
    const auto it = shared().websockets.find(path);
    if (it == shared().websockets.end())
      return write(json_error(404, "not_found", "no WebSocket endpoint at " + path), false, false);
    // The handler's say before the handshake (its API key check). An upgrade has no body, so
    // moving it out leaves the handshake what it reads: the headers.
    Result<Request> our_request = to_request(request);
    if (!our_request) return write(json_error(400, "bad_request", our_request.error().message()), false, false);
    std::optional<Response> refusal;
    try {
      refusal = it->second->accept(*our_request);
    } catch (const std::exception& e) {
      refusal = json_error(500, "internal", e.what());
    }
    if (refusal) return write(std::move(*refusal), false, false);
    Result<std::string> accept = websocket::websocket_accept_for(*our_request);
    if (!accept) {
      Response response = json_error(400, "bad_request", accept.error().message());
      response.headers.set("Sec-WebSocket-Version", "13");
      return write(std::move(response), false, false);
    }
    handling_ = true;
    auto switching = std::make_shared<http::response<http::empty_body>>(http::status::switching_protocols, version_);
    switching->set(http::field::upgrade, "websocket");
    switching->set(http::field::connection, "Upgrade");
    switching->set(http::field::sec_websocket_accept, *accept);
    stream_.expires_after(shared().options.write_timeout);
    http::async_write(
        stream_, *switching,
        [self = shared_from_this(), switching, path, handler = it->second](beast::error_code ec, std::size_t) {
          if (ec) return self->close_now();
          self->stream_.expires_never();
          // A client may not send frames before it has read our answer, but what it
          // sent anyway is its, not lost.
          std::string early = beast::buffers_to_string(self->buffer_.data());
          auto connection = std::make_shared<WebSocketConnection>(
              self->stream_.release_socket(), self->count_.pointer(), path, handler, std::move(early));
          self->shared().opened(connection);
          connection->start();
        });
  }

  void on_request() {
    handling_ = true;
    http::request<http::string_body> message = parser_->release();
    version_ = message.version();
    const bool keep_alive = message.keep_alive();
    Result<Request> parsed = to_request(message);
    if (!parsed) return write(json_error(400, "bad_request", parsed.error().message()), false, false);
    const Request& request = *parsed;
    Response response;
    try {
      response = shared().router.handle(request);
    } catch (const std::exception& e) {  // the router answers handler failures; this is bad_alloc and the like
      response = json_error(500, "internal", e.what());
    }
    write(std::move(response), keep_alive && !shared().stopping, request.method == Method::kHead);
  }

  void write(Response response, bool keep_alive, bool head) {
    handling_ = true;
    auto message = std::make_shared<http::response<http::string_body>>();
    message->version(version_);
    message->result(static_cast<unsigned>(response.status));
    for (const auto& [name, value] : response.headers.fields()) message->insert(name, value);
    message->set(http::field::content_type, response.content_type);
    message->keep_alive(keep_alive);
    if (head) {
      message->content_length(response.body.size());
    } else {
      message->body() = std::move(response.body);
      message->prepare_payload();
    }
    response_ = message;
    stream_.expires_after(shared().options.write_timeout);
    http::async_write(stream_, *response_, [self = shared_from_this(), keep_alive](beast::error_code ec, std::size_t) {
      self->response_.reset();
      if (ec || !keep_alive) return self->close_now();
      self->wait_for_request();
    });
  }

  // Sends FIN, then reads what the client still sends for a moment, so a client that is still
  // writing (a refused body) reads our answer instead of a reset.
  void close_now() {
    if (closing_) return;
    closing_ = true;
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(kLingerTimeout);
    linger();
  }
  void linger() {
    stream_.async_read_some(asio::buffer(drain_), [self = shared_from_this()](beast::error_code ec, std::size_t n) {
      self->drained_ += n;
      if (!ec && self->drained_ < kLingerMaxBytes) return self->linger();
      beast::error_code ignored;
      self->stream_.socket().close(ignored);
    });
  }

  ConnectionCount count_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<http::response<http::string_body>> response_;
  std::shared_ptr<http::response<http::empty_body>> continue_;
  std::array<char, 4096> drain_{};
  std::size_t drained_ = 0;
  unsigned version_ = 11;
  bool handling_ = false;  // a complete request is being handled or answered
  bool closing_ = false;
};

}  // namespace

struct HttpServer::Impl {
  explicit Impl(std::shared_ptr<Shared> s) : shared(std::move(s)) { shared->io = &io; }

  void accept() {
    acceptor.async_accept(asio::make_strand(io), [this](beast::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
      if (!ec && !shared->stopping) {
        // Small writes (WebSocket events, short responses) go out at once, not held for Nagle's
        // algorithm to coalesce them while an earlier segment waits for a (delayed) ACK.
        beast::error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        auto session = std::make_shared<HttpSession>(std::move(socket), shared);
        shared->opened(session);
        session->run();
      }
      accept();  // an accept error (out of descriptors) is that connection's only
    });
  }

  std::shared_ptr<Shared> shared;
  asio::io_context io;
  tcp::acceptor acceptor{asio::make_strand(io)};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::vector<std::thread> threads;
  std::uint16_t port = 0;
  bool started = false;
  bool stopped = false;
};

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() {
  stop();
}

Result<std::unique_ptr<HttpServer>> HttpServer::create(const Options& options, Router router) {
  if (options.threads == 0) return make_error(ErrorCode::kInvalidArgument, "the server needs at least one thread");
  if (options.websocket_max_queued_messages == 0)
    return make_error(ErrorCode::kInvalidArgument, "websocket_max_queued_messages must be at least 1");
  beast::error_code ec;
  const std::string host = options.host == "localhost" ? "127.0.0.1" : options.host;
  const asio::ip::address address = asio::ip::make_address(host, ec);
  if (ec) return make_error(ErrorCode::kInvalidArgument, "not an IP address: \"" + options.host + "\"");

  auto shared = std::make_shared<Shared>();
  shared->options = options;
  shared->router = std::move(router);
  auto impl = std::make_unique<Impl>(std::move(shared));
  const tcp::endpoint endpoint(address, options.port);
  const std::string where = options.host + ":" + std::to_string(options.port);
  if (impl->acceptor.open(endpoint.protocol(), ec); ec)
    return make_error(ErrorCode::kUnavailable, "cannot open a socket for " + where + ": " + ec.message());
  if (impl->acceptor.set_option(asio::socket_base::reuse_address(true), ec); ec)
    return make_error(ErrorCode::kUnavailable, "cannot set SO_REUSEADDR: " + ec.message());
  if (impl->acceptor.bind(endpoint, ec); ec)
    return make_error(ErrorCode::kUnavailable, "cannot bind " + where + ": " + ec.message());
  if (impl->acceptor.listen(asio::socket_base::max_listen_connections, ec); ec)
    return make_error(ErrorCode::kUnavailable, "cannot listen on " + where + ": " + ec.message());
  impl->port = impl->acceptor.local_endpoint(ec).port();
  if (ec) return make_error(ErrorCode::kUnavailable, "cannot read the bound port: " + ec.message());
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

std::optional<Response> WebSocketHandler::accept(const Request& /*request*/) {
  return std::nullopt;
}

void HttpServer::add_websocket(std::string path, std::shared_ptr<WebSocketHandler> handler) {
  impl_->shared->websockets[std::move(path)] = std::move(handler);
}

Status HttpServer::start() {
  if (impl_->started) return make_error(ErrorCode::kInvalidArgument, "the server is already started");
  impl_->started = true;
  impl_->work.emplace(impl_->io.get_executor());
  impl_->accept();
  try {
    for (unsigned i = 0; i < impl_->shared->options.threads; ++i)
      impl_->threads.emplace_back([this] { impl_->io.run(); });
  } catch (const std::system_error& e) {
    stop();
    return make_error(ErrorCode::kUnavailable, std::string("cannot start the server's threads: ") + e.what());
  }
  return ok();
}

std::uint16_t HttpServer::port() const {
  return impl_->port;
}

void HttpServer::stop() {
  Impl& impl = *impl_;
  if (impl.stopped) return;
  impl.stopped = true;
  Shared& shared = *impl.shared;
  shared.stopping = true;
  asio::post(impl.acceptor.get_executor(), [&impl] {
    beast::error_code ignored;
    impl.acceptor.close(ignored);
  });
  std::vector<std::shared_ptr<Connection>> live;
  {
    const std::lock_guard lock(shared.mutex);
    for (const auto& weak : shared.connections)
      if (auto connection = weak.lock()) live.push_back(std::move(connection));
  }
  for (const auto& connection : live) connection->shutdown();
  live.clear();
  if (impl.started) {
    std::unique_lock lock(shared.mutex);
    shared.all_closed.wait_for(lock, shared.options.stop_timeout, [&] { return shared.open_connections == 0; });
  }
  impl.work.reset();
  impl.io.stop();
  for (std::thread& thread : impl.threads) thread.join();
  impl.threads.clear();
  // No thread reads the handlers any more: let them go, so a handler that keeps sessions (which
  // keep this state alive) forms no cycle with it.
  shared.websockets.clear();
  {
    const std::lock_guard post_lock(shared.post_mutex);
    shared.can_post = false;
    shared.io = nullptr;
  }
  // Sessions waiting for a writer keep the shared state alive, which keeps them: let them go.
  const std::lock_guard ready_lock(shared.ready_mutex);
  shared.ready.clear();
  shared.drainers = 0;
}

}  // namespace orfeas::serve
