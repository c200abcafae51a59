// WebConfig: the web config file given with --web.config.file, in the
// Prometheus exporter toolkit's format (the file node_exporter and friends
// take), so the same file secures errpulse:
//
//   tls_server_config:  TLS (see tls_context.h)
//   http_server_config: http2 (accepted; errpulse speaks HTTP/1.1), headers
//   basic_auth_users:   user -> bcrypt hash
//   rate_limit:         interval, burst (a token bucket over all requests)
//
// Parsed strictly like the toolkit (unknown and repeated keys are errors),
// every mistake reported as FILE:LINE:COL; relative paths are relative to the
// web config file's directory. LoadWebConfig also loads the certificate and
// key, so a file that loads is a file the server can use.
//
// The toolkit reads the file on every request, so renewed certificates and
// edited users apply at once; HttpServer does the same when the files change
// (see HttpServer::ReloadWebConfigIfChanged).
//
// Immutable after loading; shared as std::shared_ptr<const WebConfig>;
// thread-safe to read.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/diagnostic.h"
#include "http/tls_context.h"

namespace errpulse {

struct RateLimitConfig {
  int64_t interval_ns = 0;  // one token per interval; 0: no limit
  int64_t burst = 0;
};

struct WebConfig {
  std::string file;
  TlsServerConfig tls;
  // Built from `tls` when tls.enabled (LoadWebConfig); nullptr otherwise.
  std::shared_ptr<boost::asio::ssl::context> tls_context;
  bool http2 = true;  // accepted for compatibility; errpulse answers HTTP/1.1
  std::vector<std::pair<std::string, std::string>> headers;  // added to every response
  std::map<std::string, std::string> basic_auth_users;       // user -> bcrypt hash (secret)
  RateLimitConfig rate_limit;
  // Device, inode, size and modification time of this file and of the
  // certificate, key and client CA files it names, taken before they were
  // read (LoadWebConfig): compare with CurrentFileVersions() to see a change.
  std::string file_versions;

  std::string CurrentFileVersions() const;
  // "TLS (RequireAndVerifyClientCert), basic auth for 2 user(s)": for logs and `check`.
  std::string Summary() const;
};

// Parses the text of a web config file; relative paths resolve against
// `base_dir`. Does not touch the files it names (see LoadWebConfig).
std::optional<WebConfig> ParseWebConfig(const std::string& text, const std::string& name,
                                        const std::string& base_dir, Diagnostics* diagnostics);

// Reads, parses and validates `path`, then builds the TLS context (reading the
// certificate, key and client CA files). nullopt with diagnostics on error.
std::optional<WebConfig> LoadWebConfig(const std::string& path, Diagnostics* diagnostics);

// Go's time.ParseDuration ("1s", "1m30s", "250ms", "1.5h"; a YAML integer is
// nanoseconds, as yaml.v2 reads it); nullopt when it is not one or negative.
std::optional<int64_t> ParseGoDurationNs(const std::string& text);

}  // namespace errpulse
