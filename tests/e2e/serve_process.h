// Test-only: `orfeas serve` as a child process, and a raw HTTP/1.1 exchange over loopback, for the
// end-to-end tests of the service.
//
//   ServeProcess server({"--port", "0", "--data-dir", dir});
//   const int port = server.wait_for_port(30s);          // parses "listening on http://HOST:PORT"
//   HttpReply reply = http_request(port, "GET", "/api/jobs/x");
//   reply.status, reply.header("etag"), reply.body
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstring>
#include <map>
#include <string>
#include <thread>
#include <utility>
#include <vector>

extern char** environ;

namespace orfeas::e2e {

using namespace std::chrono_literals;

// `orfeas serve` running with its stdout on a pipe; killed if the test ends early.
class ServeProcess {
 public:
  // `env` is added to this process's environment ("NAME=value" each).
  explicit ServeProcess(const std::vector<std::string>& args, const std::vector<std::string>& env = {}) {
    int fds[2];
    if (pipe(fds) != 0) return;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, fds[0]);
    std::vector<std::string> all = {ORFEAS_CLI_PATH, "serve"};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<std::string> environment = env;
    for (char** e = environ; *e != nullptr; ++e) environment.emplace_back(*e);
    std::vector<char*> envp;
    for (std::string& e : environment) envp.push_back(e.data());
    envp.push_back(nullptr);
    if (posix_spawn(&pid_, ORFEAS_CLI_PATH, &actions, nullptr, argv.data(), envp.data()) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
    close(fds[1]);
    out_ = fds[0];
  }
  ~ServeProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (out_ >= 0) close(out_);
  }
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;

  // The next line of its stdout, waiting at most `timeout`; empty on timeout or EOF.
  std::string read_line(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      if (const std::size_t newline = buffer_.find('\n'); newline != std::string::npos) {
        std::string line = buffer_.substr(0, newline);
        buffer_.erase(0, newline + 1);
        return line;
      }
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      pollfd fd{out_, POLLIN, 0};
      if (left.count() <= 0 || poll(&fd, 1, static_cast<int>(left.count())) <= 0) return {};
      char chunk[256];
      const ssize_t n = read(out_, chunk, sizeof chunk);
      if (n <= 0) return {};
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }

  // The port of the first "listening on http://HOST:PORT" line (the lines before it are kept in
  // printed_before_port()); -1 when none came within `timeout`.
  int wait_for_port(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      const std::string line =
          read_line(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()));
      if (line.empty()) return -1;
      const std::size_t colon = line.rfind(':');
      if (line.rfind("listening on http://", 0) == 0 && colon != std::string::npos) {
        return std::stoi(line.substr(colon + 1));
      }
      before_port_ += line + "\n";
    }
    return -1;
  }
  [[nodiscard]] const std::string& printed_before_port() const { return before_port_; }
  [[nodiscard]] pid_t pid() const { return pid_; }

  // Sends `signal` and waits at most `timeout` for the exit; the exit code, or -1.
  int stop(int signal, std::chrono::milliseconds timeout) {
    kill(pid_, signal);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      std::this_thread::sleep_for(20ms);
    }
    return -1;
  }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
  std::string buffer_;
  std::string before_port_;
};

// A TCP connection to 127.0.0.1:port; -1 when it cannot connect. The caller closes it.
inline int open_connection(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
  if (connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

inline bool write_all(int fd, const std::string& bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

// Everything the peer sends until it closes, or until `timeout` passes (then `timed_out`).
inline std::string read_until_closed(int fd, std::chrono::milliseconds timeout, bool* timed_out = nullptr) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string out;
  if (timed_out) *timed_out = false;
  while (true) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd p{fd, POLLIN, 0};
    if (left.count() <= 0 || poll(&p, 1, static_cast<int>(left.count())) <= 0) {
      if (timed_out) *timed_out = true;
      return out;
    }
    char chunk[65536];
    const ssize_t n = read(fd, chunk, sizeof chunk);
    if (n <= 0) return out;
    out.append(chunk, static_cast<std::size_t>(n));
  }
}

// A whole HTTP/1.1 exchange over a raw socket, the connection closed by the request.
inline std::string raw_get(int port, const std::string& target) {
  const int fd = open_connection(port);
  if (fd < 0) return {};
  std::string response;
  if (write_all(fd, "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"))
    response = read_until_closed(fd, 120s);
  close(fd);
  return response;
}

struct HttpReply {
  int status = 0;                              // 0: no answer
  std::map<std::string, std::string> headers;  // names lowercased
  std::string body;
  [[nodiscard]] std::string header(const std::string& name) const {
    const auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

inline HttpReply parse_reply(const std::string& raw) {
  HttpReply reply;
  const std::size_t end = raw.find("\r\n\r\n");
  if (raw.rfind("HTTP/1.1 ", 0) != 0 || end == std::string::npos) return reply;
  reply.status = std::atoi(raw.c_str() + 9);
  std::size_t line = raw.find("\r\n") + 2;
  while (line < end) {
    const std::size_t next = raw.find("\r\n", line);
    const std::string field = raw.substr(line, next - line);
    const std::size_t colon = field.find(':');
    if (colon != std::string::npos) {
      std::string name = field.substr(0, colon);
      std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
      std::size_t value = colon + 1;
      while (value < field.size() && field[value] == ' ') ++value;
      reply.headers[name] = field.substr(value);
    }
    line = next + 2;
  }
  reply.body = raw.substr(end + 4);
  return reply;
}

// One request on a fresh connection (closed after it): method, target, extra header lines, body.
inline HttpReply http_request(int port, const std::string& method, const std::string& target,
                              const std::vector<std::pair<std::string, std::string>>& headers = {},
                              const std::string& body = {}) {
  const int fd = open_connection(port);
  if (fd < 0) return {};
  std::string request = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  for (const auto& [name, value] : headers) request += name + ": " + value + "\r\n";
  if (!body.empty() || method == "POST" || method == "PUT")
    request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  request += "\r\n" + body;
  HttpReply reply;
  if (write_all(fd, request)) reply = parse_reply(read_until_closed(fd, 120s));
  close(fd);
  return reply;
}

// A multipart/form-data body; each part is {name, filename (empty: a plain field), content}.
struct FormPart {
  std::string name;
  std::string filename;
  std::string content;
};
inline constexpr const char* kFormBoundary = "orfeas-e2e-boundary-7f3a";
inline std::string multipart_body(const std::vector<FormPart>& parts) {
  std::string body;
  for (const FormPart& part : parts) {
    body += std::string("--") + kFormBoundary + "\r\nContent-Disposition: form-data; name=\"" + part.name + "\"";
    if (!part.filename.empty())
      body += "; filename=\"" + part.filename + "\"\r\nContent-Type: application/octet-stream";
    body += "\r\n\r\n" + part.content + "\r\n";
  }
  return body + "--" + kFormBoundary + "--\r\n";
}
inline std::pair<std::string, std::string> multipart_content_type() {
  return {"Content-Type", std::string("multipart/form-data; boundary=") + kFormBoundary};
}

inline std::string body_of(const std::string& response) {
  const std::size_t end = response.find("\r\n\r\n");
  return end == std::string::npos ? std::string() : response.substr(end + 4);
}

}  // namespace orfeas::e2e
