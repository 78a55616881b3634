#include "serve_command.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

#include <fmt/format.h>

#include "cli_common.h"
#include "orfeas/core/parallel.h"
#include "orfeas/serve/http_server.h"
#include "orfeas/service/api.h"
#include "orfeas/service/progress_socket.h"
#include "orfeas/service/service.h"

namespace orfeas::cli {
namespace {

struct ServeArgs {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
  std::string data_dir;  // empty: default_data_dir()
  std::string api_key;   // empty: $ORFEAS_API_KEY, else none
  std::size_t max_queue = 1000;
  std::size_t max_upload_mb = 32;
  long long max_queue_delay_ms = 50;
  std::string device = "auto";
  // As many as the CPUs this process may use (at least 2): more only adds context switches to a
  // WebSocket fan-out.
  unsigned threads = static_cast<unsigned>(std::max<std::size_t>(2, worker_count()));
  long long job_timeout_s = 600;
  double expire_after_h = 24.0 * 7;
  std::string cors_origin;
  std::string web_root;  // empty: the source tree's web/dist when it exists; "none": no UI
  long long request_timeout_s = 60;
  int worker_nice = service::ServiceOptions{}.worker_nice;
  shape::Hunyuan3DSettings hunyuan3d;
};

ServeArgs& args() {
  static ServeArgs instance;
  return instance;
}

int fail(std::string_view message) {
  fmt::print(stderr, "orfeas serve: error: {}\n", message);
  return 1;
}

std::filesystem::path web_root_of(const ServeArgs& a) {
  if (a.web_root == "none") return {};
  if (!a.web_root.empty()) return a.web_root;
#if defined(ORFEAS_WEB_DIST)
  std::error_code ec;
  if (std::filesystem::is_regular_file(std::filesystem::path(ORFEAS_WEB_DIST) / "index.html", ec))
    return ORFEAS_WEB_DIST;
#endif
  return {};
}

}  // namespace

void add_serve_command(CLI::App& app) {
  CLI::App* serve = app.add_subcommand("serve", "Serve the HTTP API until SIGTERM or SIGINT");
  ServeArgs& a = args();
  serve->add_option("--host", a.host, "IP address to listen on")->capture_default_str();
  serve->add_option("--port", a.port, "TCP port; 0 picks a free one")->capture_default_str();
  serve->add_option("--data-dir", a.data_dir,
                    "jobs, uploads and results (default: $ORFEAS_DATA_DIR, else ~/.local/share/orfeas)");
  serve->add_option("--api-key", a.api_key,
                    "require 'Authorization: Bearer KEY' on /api routes (better: $ORFEAS_API_KEY, not seen in ps)");
  serve->add_option("--max-queue", a.max_queue, "queued jobs beyond which submissions get 429")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{1'000'000}));
  serve->add_option("--max-upload-mb", a.max_upload_mb, "largest image upload (MiB)")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{1024}));
  serve->add_option("--max-queue-delay-ms", a.max_queue_delay_ms, "how long a batch may wait to fill")
      ->capture_default_str()
      ->check(CLI::Range(0LL, 60'000LL));
  serve->add_option("--device", a.device, "auto (every GPU, else the CPU), cpu, cuda or cuda:N")
      ->capture_default_str()
      ->check([](const std::string& device) -> std::string {
        if (device == "auto" || device == "cpu" || device == "cuda") return {};
        if (device.rfind("cuda:", 0) == 0 && device.size() > 5 &&
            device.find_first_not_of("0123456789", 5) == std::string::npos)
          return {};
        return "must be auto, cpu, cuda or cuda:N";
      });
  serve->add_option("--threads", a.threads, "threads serving HTTP connections")
      ->capture_default_str()
      ->check(CLI::Range(1U, 256U));
  serve->add_option("--job-timeout-s", a.job_timeout_s, "a job running longer fails (deadline_exceeded)")
      ->capture_default_str()
      ->check(CLI::Range(1LL, 7LL * 24 * 3600));
  serve->add_option("--expire-after-h", a.expire_after_h, "finished jobs and their files are deleted after this")
      ->capture_default_str()
      ->check(CLI::Range(0.001, 24.0 * 365 * 10));
  serve->add_option("--cors-origin", a.cors_origin, "allow browsers from this origin ('*' for any); off by default");
  serve->add_option("--web-root", a.web_root,
                    "the built web UI (default: the source tree's web/dist when built; 'none': no UI)");
  serve->add_option("--request-timeout-s", a.request_timeout_s, "time a client has to send a request's body")
      ->capture_default_str()
      ->check(CLI::Range(1LL, 3600LL));
  serve->add_option("--model", a.hunyuan3d.model_dir,
                    "a Hunyuan3D-2 model folder (hunyuan3d-dit-*) for jobs with backend=hunyuan3d; loaded once");
  serve->add_option("--steps", a.hunyuan3d.steps, "hunyuan3d: diffusion steps (0: the model's)")
      ->capture_default_str()
      ->check(CLI::Range(0, 1000));
  serve->add_option("--dtype", a.hunyuan3d.dtype, "hunyuan3d: bf16, fp16, fp32 or auto")
      ->capture_default_str()
      ->check(CLI::IsMember({"auto", "bf16", "fp16", "fp32"}));
  serve->add_option("--decoder", a.hunyuan3d.decoder, "hunyuan3d: dense or hierarchical volume decoding")
      ->capture_default_str()
      ->check(CLI::IsMember({"dense", "hierarchical"}));
  serve
      ->add_option("--worker-nice", a.worker_nice,
                   "nice value of the pipeline's threads, so requests and events go first (0: unchanged)")
      ->capture_default_str()
      ->check(CLI::Range(0, 19));
}

namespace {

// The write end is used from the signal handler (write() is async-signal-safe).
std::array<int, 2> stop_pipe{-1, -1};

void on_stop_signal(int signal) {
  const auto byte = static_cast<unsigned char>(signal);
  const ssize_t written = write(stop_pipe[1], &byte, 1);
  static_cast<void>(written);
}

}  // namespace

int run_serve() {
  const ServeArgs& a = args();

  // SIGTERM and SIGINT reach this thread through a pipe their handler writes to. Not a blocked
  // mask and sigwait: libraries start threads before main (OpenBLAS's pool, when LibTorch is
  // linked), and a signal delivered to one of those would kill the process at once.
  if (pipe2(stop_pipe.data(), O_CLOEXEC) != 0) return fail("cannot make the signal pipe");
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);

  service::ServiceOptions options;
  options.data_dir = a.data_dir.empty() ? default_data_dir() : std::filesystem::path(a.data_dir);
  options.device = a.device;
  options.max_queue = a.max_queue;
  options.max_upload_bytes = a.max_upload_mb << 20U;
  options.max_queue_delay = std::chrono::milliseconds(a.max_queue_delay_ms);
  options.job_timeout = std::chrono::seconds(a.job_timeout_s);
  options.worker_nice = a.worker_nice;
  options.hunyuan3d = a.hunyuan3d;
  options.expire_after = std::chrono::milliseconds(static_cast<long long>(a.expire_after_h * 3600.0 * 1000.0));
  auto service = service::Service::open(options);
  if (!service) return fail(service.error().message());

  service::ApiOptions api;
  if (!a.api_key.empty()) {
    api.api_key = a.api_key;
  } else if (const char* key = std::getenv("ORFEAS_API_KEY"); key != nullptr && *key != '\0') {
    api.api_key = key;
  }
  if (!a.cors_origin.empty()) api.cors_origin = a.cors_origin;
  api.web_root = web_root_of(a);
  auto router = service::make_router(**service, api);
  if (!router) return fail(router.error().message());

  serve::HttpServer::Options http;
  http.host = a.host;
  http.port = a.port;
  http.threads = a.threads;
  // An upload plus its form's fields; a batch of several images must fit in this too.
  http.max_body_bytes = options.max_upload_bytes + (std::size_t{1} << 20U);
  http.read_timeout = std::chrono::seconds(a.request_timeout_s);
  auto server = serve::HttpServer::create(http, std::move(*router));
  if (!server) return fail(server.error().message());
  (*server)->add_websocket("/api/ws", service::ProgressSocket::create(**service, {.api_key = api.api_key}));
  if (const Status started = (*server)->start(); !started) return fail(started.error().message());

  for (const shape::ModelLoad& load : (*service)->model_loads()) fmt::print("{}\n", shape::describe(load));
  const bool ipv6 = a.host.find(':') != std::string::npos;
  fmt::print("listening on http://{}:{}\n", ipv6 ? "[" + a.host + "]" : a.host, (*server)->port());
  if (!api.web_root.empty()) fmt::print("web UI from {}\n", api.web_root.string());
  std::fflush(stdout);

  unsigned char received = 0;
  while (read(stop_pipe[0], &received, 1) != 1) {
    // EINTR: a signal while waiting; its byte is in the pipe for the next read.
  }
  fmt::print("received {}, stopping\n", received == SIGTERM ? "SIGTERM" : "SIGINT");
  std::fflush(stdout);
  (*server)->stop();    // no new requests; those in flight finish
  (*service)->drain();  // running batches finish (or go back to the queue), nothing new is claimed
  return 0;
}

}  // namespace orfeas::cli
