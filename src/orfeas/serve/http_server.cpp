// The Beast/Asio side of the server. Every connection runs on its own strand; the server keeps
// weak references to them so stop() can close them, and counts them so stop() can wait.
#include "orfeas/serve/http_server.h"

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <exception>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

namespace orfeas::serve {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

constexpr std::chrono::milliseconds kLingerTimeout{500};  // reading what a client still sends after our last response
constexpr std::size_t kLingerMaxBytes = 1024 * 1024;

// What stop() can ask of a connection (on any thread; the connection hops onto its strand).
class Connection {
 public:
  virtual ~Connection() = default;
  virtual void shutdown() = 0;
};

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

// What handlers hold: the outgoing queue and a weak reference to the connection, which its pending
// operations own.
class WebSocketSessionImpl final : public WebSocketSession {
 public:
  WebSocketSessionImpl(std::shared_ptr<Shared> shared, std::string path)
      : shared_(std::move(shared)), path_(std::move(path)) {}

  bool send_shared(std::shared_ptr<const std::string> text) override;
  void close() override;
  [[nodiscard]] bool is_open() const override {
    const std::lock_guard lock(mutex_);
    return open_;
  }
  [[nodiscard]] const std::string& path() const override { return path_; }

  void attach(std::weak_ptr<WebSocketConnection> connection) { connection_ = std::move(connection); }
  // The next message to write, if any (the connection's strand).
  std::shared_ptr<const std::string> front() {
    const std::lock_guard lock(mutex_);
    if (queue_.empty()) return nullptr;
    return queue_.front();
  }
  void pop() {
    const std::lock_guard lock(mutex_);
    if (!queue_.empty()) queue_.pop_front();
  }
  void mark_closed() {
    const std::lock_guard lock(mutex_);
    open_ = false;
  }

 private:
  enum class Action { kFlush, kClose, kAbort };
  void post(Action action);

  std::shared_ptr<Shared> shared_;
  const std::string path_;
  std::weak_ptr<WebSocketConnection> connection_;
  mutable std::mutex mutex_;
  std::deque<std::shared_ptr<const std::string>> queue_;  // the message being written stays at the front until written
  bool open_ = true;
};

class WebSocketConnection final : public Connection, public std::enable_shared_from_this<WebSocketConnection> {
 public:
  WebSocketConnection(beast::tcp_stream&& stream, std::shared_ptr<Shared> shared, std::string path,
                      std::shared_ptr<WebSocketHandler> handler)
      : count_(shared),
        ws_(std::move(stream)),
        handler_(std::move(handler)),
        session_(std::make_shared<WebSocketSessionImpl>(std::move(shared), std::move(path))) {}

  void accept(http::request<http::string_body> request) {
    session_->attach(weak_from_this());
    beast::get_lowest_layer(ws_).expires_never();
    const HttpServer::Options& options = count_.shared().options;
    websocket::stream_base::timeout timeout{};
    timeout.handshake_timeout = options.header_timeout;
    timeout.idle_timeout = 2 * options.websocket_ping_interval;  // a ping after half, closed after all
    timeout.keep_alive_pings = true;
    ws_.set_option(timeout);
    ws_.read_message_max(options.websocket_max_message_bytes);
    ws_.async_accept(request, [self = shared_from_this()](beast::error_code ec) {
      if (ec) return;
      self->accepted_ = true;
      run_callback("on_open", [&] { self->handler_->on_open(self->session_); });
      self->read();
      self->flush();
    });
  }

  [[nodiscard]] auto get_executor() { return ws_.get_executor(); }

  void shutdown() override {
    asio::dispatch(ws_.get_executor(), [self = shared_from_this()] { self->close_gracefully(); });
  }

  // On the strand.
  void flush() {
    if (writing_ || finished_) return;
    std::shared_ptr<const std::string> next = session_->front();
    if (!next) {
      if (close_requested_) close_gracefully();
      return;
    }
    writing_ = true;
    outgoing_ = std::move(next);  // shared with the other sessions sent the same text; kept until written
    ws_.text(true);
    ws_.async_write(asio::buffer(*outgoing_), [self = shared_from_this()](beast::error_code ec, std::size_t) {
      self->writing_ = false;
      if (ec) return self->abort();
      self->session_->pop();
      self->flush();
    });
  }
  void request_close() {
    close_requested_ = true;
    if (!writing_) close_gracefully();
  }
  void abort() {
    if (finished_) return;
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().shutdown(tcp::socket::shutdown_both, ignored);
    beast::get_lowest_layer(ws_).socket().close(ignored);
    finish();
  }

 private:
  void read() {
    ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->finish();
      if (self->ws_.got_text()) {
        const std::string text = beast::buffers_to_string(self->buffer_.data());
        run_callback("on_text", [&] { self->handler_->on_text(self->session_, text); });
      }
      self->buffer_.consume(self->buffer_.size());
      self->read();
    });
  }
  void close_gracefully() {
    if (finished_ || closing_) return;
    if (!accepted_) return abort();
    closing_ = true;
    ws_.async_close(websocket::close_code::going_away,
                    [self = shared_from_this()](beast::error_code) { self->finish(); });
  }
  // Once: the handler hears of the close.
  void finish() {
    if (finished_) return;
    finished_ = true;
    session_->mark_closed();
    if (accepted_) run_callback("on_close", [&] { handler_->on_close(session_); });
  }

  ConnectionCount count_;
  websocket::stream<beast::tcp_stream> ws_;
  beast::flat_buffer buffer_;
  std::shared_ptr<WebSocketHandler> handler_;
  std::shared_ptr<WebSocketSessionImpl> session_;
  std::shared_ptr<const std::string> outgoing_;
  bool accepted_ = false;
  bool writing_ = false;
  bool closing_ = false;
  bool close_requested_ = false;
  bool finished_ = false;
};

void WebSocketSessionImpl::post(Action action) {
  const std::lock_guard post_lock(shared_->post_mutex);
  if (!shared_->can_post) return;
  const std::shared_ptr<WebSocketConnection> connection = connection_.lock();
  if (!connection) return;
  asio::post(connection->get_executor(), [connection, action] {
    switch (action) {
      case Action::kFlush:
        connection->flush();
        break;
      case Action::kClose:
        connection->request_close();
        break;
      case Action::kAbort:
        connection->abort();
        break;
    }
  });
}

bool WebSocketSessionImpl::send_shared(std::shared_ptr<const std::string> text) {
  if (!text) return false;
  bool overflow = false;
  bool was_idle = false;
  {
    const std::lock_guard lock(mutex_);
    if (!open_) return false;
    overflow = queue_.size() >= shared_->options.websocket_max_queued_messages;
    if (overflow) {
      // The client reads slower than we write: drop it rather than hold its backlog.
      open_ = false;
      queue_.clear();
    } else {
      was_idle = queue_.empty();
      queue_.push_back(std::move(text));
    }
  }
  // A message queued behind others needs no flush of its own: the write of the one before it, or
  // the flush already posted for it, ends by writing the next. One post per burst, not per message.
  if (overflow || was_idle) post(overflow ? Action::kAbort : Action::kFlush);
  return !overflow;
}

void WebSocketSessionImpl::close() {
  {
    const std::lock_guard lock(mutex_);
    if (!open_) return;
    open_ = false;
  }
  post(Action::kClose);
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
    if (websocket::is_upgrade(request)) return upgrade();
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
    auto connection = std::make_shared<WebSocketConnection>(std::move(stream_), count_.pointer(), path, it->second);
    shared().opened(connection);
    connection->accept(std::move(request));
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
  explicit Impl(std::shared_ptr<Shared> s) : shared(std::move(s)) {}

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
  const std::lock_guard post_lock(shared.post_mutex);
  shared.can_post = false;
}

}  // namespace orfeas::serve
