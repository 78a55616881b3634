// The web UI's static files (web/dist, built by scripts/web.sh): read once, answered from memory.
//
// The routes are made from what is on disk when the server starts, one exact route per file, so a
// request is a lookup among those routes and no file path is ever built from a request: "..",
// "%2e%2e", "%2f" or a symlink cannot reach anything outside web_root. A directory's index.html
// also answers for the directory ("/dashboard" and "/dashboard/"), which is how the UI's pages
// (client-side routes) load on a reload or a bookmark.
#include <algorithm>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "orfeas/service/api.h"

namespace orfeas::service {
namespace {

namespace fs = std::filesystem;

// Names the build gives a content hash ("main-3KX7QW2B.js") never change content, so browsers may
// keep them for a year; anything else (index.html) is revalidated with its ETag on every use.
constexpr std::string_view kImmutable = "public, max-age=31536000, immutable";
constexpr std::string_view kRevalidate = "no-cache";
// The UI loads only its own files and talks only to this server (fetch and the WebSocket); three.js
// makes blob: URLs for a GLB's embedded textures and fetches them.
constexpr std::string_view kContentSecurityPolicy =
    "default-src 'self'; img-src 'self' blob: data:; connect-src 'self' blob: data:; style-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

struct StaticFile {
  std::string url_path;
  std::string body;
  std::string content_type;
  std::string_view cache_control;
  std::string etag;  // quoted, as it goes on the wire
  bool is_html = false;
};

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return out;
}

// By extension (".js"); the files are our own build's, so the extension is the truth.
std::string content_type_of(std::string_view extension) {
  static const std::map<std::string, std::string, std::less<>> kTypes = {
      {".html", "text/html; charset=utf-8"},
      {".htm", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".webmanifest", "application/manifest+json"},
      {".txt", "text/plain; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},
      {".webp", "image/webp"},
      {".gif", "image/gif"},
      {".ico", "image/x-icon"},
      {".woff", "font/woff"},
      {".woff2", "font/woff2"},
      {".wasm", "application/wasm"},
      {".glb", "model/gltf-binary"},
      {".stl", "model/stl"},
  };
  const auto it = kTypes.find(lower(extension));
  return it != kTypes.end() ? it->second : "application/octet-stream";
}

// "main-3KX7QW2B.js", "chunk-AB12CD34.css": a stem, '-', at least 8 letters or digits, an extension.
bool has_content_hash(std::string_view filename) {
  const std::size_t dot = filename.rfind('.');
  if (dot == std::string_view::npos) return false;
  const std::string_view stem = filename.substr(0, dot);
  const std::size_t dash = stem.rfind('-');
  if (dash == std::string_view::npos || dash == 0) return false;
  const std::string_view hash = stem.substr(dash + 1);
  return hash.size() >= 8 && std::all_of(hash.begin(), hash.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
         });
}

// FNV-1a over the bytes, with the size: an ETag only has to change when the file does.
std::string etag_of(std::string_view bytes) {
  std::uint64_t hash = 14695981039346656037ULL;
  for (const char c : bytes) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ULL;
  }
  return fmt::format("\"{:x}-{:016x}\"", bytes.size(), hash);
}

std::optional<std::string> read_whole(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return std::nullopt;
  return bytes;
}

// If-None-Match: "*" or a comma-separated list of (possibly weak) tags.
bool matches_etag(std::string_view if_none_match, std::string_view etag) {
  while (!if_none_match.empty()) {
    const std::size_t comma = if_none_match.find(',');
    std::string_view tag = if_none_match.substr(0, comma);
    while (!tag.empty() && (tag.front() == ' ' || tag.front() == '\t')) tag.remove_prefix(1);
    while (!tag.empty() && (tag.back() == ' ' || tag.back() == '\t')) tag.remove_suffix(1);
    if (tag.starts_with("W/")) tag.remove_prefix(2);
    if (tag == "*" || tag == etag) return true;
    if (comma == std::string_view::npos) break;
    if_none_match.remove_prefix(comma + 1);
  }
  return false;
}

serve::Response answer(const StaticFile& file, const serve::Request& request) {
  serve::Response response;
  response.headers.set("Cache-Control", std::string(file.cache_control));
  response.headers.set("ETag", file.etag);
  response.headers.set("X-Content-Type-Options", "nosniff");
  if (file.is_html) {
    response.headers.set("Content-Security-Policy", std::string(kContentSecurityPolicy));
    response.headers.set("Referrer-Policy", "no-referrer");
  }
  response.content_type = file.content_type;
  if (const auto tags = request.headers.get("If-None-Match"); tags && matches_etag(*tags, file.etag)) {
    response.status = 304;
    return response;
  }
  response.body = file.body;
  return response;
}

// A path the router can hold as one exact pattern: no '{' or '}', no empty segment, no hidden
// (dot) segment — a ".env" or ".git" left in the build folder is never served.
bool routable(std::string_view relative) {
  if (relative.empty() || relative.find_first_of("{}\\") != std::string_view::npos) return false;
  std::size_t start = 0;
  while (start <= relative.size()) {
    const std::size_t slash = relative.find('/', start);
    const std::string_view segment = relative.substr(start, slash - start);
    if (segment.empty() || segment.front() == '.') return false;
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return true;
}

// Every regular file under `root` (symlinks and hidden entries left out), by URL path.
std::map<std::string, std::shared_ptr<const StaticFile>> load_files(const fs::path& root) {
  std::map<std::string, std::shared_ptr<const StaticFile>> files;
  std::error_code ec;
  fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec);
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const fs::directory_entry& entry = *it;
    std::error_code entry_ec;
    const std::string name = entry.path().filename().string();
    if (entry.is_symlink(entry_ec) || name.starts_with('.')) {
      if (entry.is_directory(entry_ec)) it.disable_recursion_pending();
      continue;
    }
    if (!entry.is_regular_file(entry_ec)) continue;
    const std::string relative = entry.path().lexically_relative(root).generic_string();
    if (!routable(relative)) continue;
    std::optional<std::string> bytes = read_whole(entry.path());
    if (!bytes) continue;  // unreadable: left out like a file that is not there
    auto file = std::make_shared<StaticFile>();
    file->url_path = "/" + relative;
    file->content_type = content_type_of(entry.path().extension().string());
    file->cache_control = has_content_hash(name) ? kImmutable : kRevalidate;
    file->etag = etag_of(*bytes);
    file->is_html = file->content_type.starts_with("text/html");
    file->body = std::move(*bytes);
    files.emplace(file->url_path, std::move(file));
  }
  // A directory's index.html answers for the directory, unless a file already has that path.
  std::vector<std::pair<std::string, std::shared_ptr<const StaticFile>>> directories;
  for (const auto& [url, file] : files) {
    constexpr std::string_view kIndex = "/index.html";
    if (!std::string_view(url).ends_with(kIndex)) continue;
    const std::string directory = url.substr(0, url.size() - kIndex.size());  // "" for the root
    directories.emplace_back(directory + "/", file);
    if (!directory.empty()) directories.emplace_back(directory, file);
  }
  for (auto& [url, file] : directories) files.try_emplace(std::move(url), std::move(file));
  return files;
}

}  // namespace

std::vector<ApiRoute> web_routes(const std::filesystem::path& web_root) {
  std::error_code ec;
  if (web_root.empty() || !fs::is_regular_file(web_root / "index.html", ec)) return {};
  std::map<std::string, std::shared_ptr<const StaticFile>> files = load_files(web_root);
  if (!files.contains("/")) return {};  // index.html is a symlink or unreadable: no UI
  std::vector<ApiRoute> routes;
  for (auto& [url, file] : files) {
    std::string summary =
        url == file->url_path ? "The web UI's file " + url : "The web UI's page " + url + " (" + file->url_path + ")";
    routes.push_back(
        {serve::Method::kGet, url, std::move(summary), "",
         [file](const serve::Request& request, const serve::PathParams&) { return answer(*file, request); }});
  }
  return routes;
}

}  // namespace orfeas::service
