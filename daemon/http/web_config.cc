// See web_config.h: what this is, ownership and thread-safety.
#include "http/web_config.h"

#include <algorithm>
#include <cctype>
#include <limits>
#include <set>

#include <sys/stat.h>

#include "common/paths.h"
#include "common/yaml_reader.h"
#include "http/basic_auth.h"

namespace errpulse {
namespace {

// The response headers the toolkit lets a web config set, and the values it
// accepts where they are an enumeration (empty: any value).
const std::map<std::string, std::vector<std::string>>& AllowedHeaders() {
  static const std::map<std::string, std::vector<std::string>> kHeaders = {
      {"Content-Security-Policy", {}},
      {"Strict-Transport-Security", {}},
      {"X-Content-Type-Options", {"nosniff"}},
      {"X-Frame-Options", {"deny", "sameorigin"}},
      {"X-XSS-Protection", {}},
  };
  return kHeaders;
}

std::string Resolve(const std::string& base_dir, const std::string& path) {
  if (path.empty() || path[0] == '/' || base_dir.empty()) return path;
  return base_dir + "/" + path;
}

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& name : names) out += (out.empty() ? "" : ", ") + name;
  return out;
}

// A mapping section: null means absent (as yaml.v2 reads it); otherwise it
// must be a mapping with known keys, each given once (yaml.v2's strict mode
// refuses repeated keys; yaml-cpp would silently keep the first).
bool OpenSection(YamlReader& reader, const YAML::Node& node, const std::string& what,
                 std::initializer_list<std::string_view> keys) {
  if (node.IsNull()) return false;
  if (!reader.ExpectMap(node, what)) return false;
  if (keys.size() > 0) reader.CheckKeys(node, keys, what);
  std::set<std::string> seen;
  for (const auto& item : node) {
    if (!seen.insert(item.first.Scalar()).second)
      reader.Error(item.first, "'" + item.first.Scalar() + "' is given twice in " + what);
  }
  return true;
}

// A string; null reads as empty, as yaml.v2 reads it.
std::string ReadString(YamlReader& reader, const YAML::Node& node, const std::string& key) {
  if (!node || node.IsNull()) return "";
  return reader.String(node, key).value_or("");
}

// A list of strings; each item is passed to `each` with its node.
template <class Each>
void ReadList(YamlReader& reader, const YAML::Node& node, const std::string& key, Each each) {
  if (!node || node.IsNull()) return;
  if (!reader.ExpectSequence(node, key)) return;
  for (const auto& item : node) {
    if (auto value = reader.String(item, key + " item")) each(*value, item);
  }
}

// A list of Go names (`key` in `tls`), each mapped to OpenSSL's by `lookup`;
// `at` is where the list was written (the section when it is not there).
void ReadNames(YamlReader& reader, const YAML::Node& tls, const std::string& key,
               std::optional<std::string> (*lookup)(const std::string&), const std::string& what,
               std::vector<std::string>* out, Diagnostic* at) {
  const YAML::Node node = tls[key];
  *at = reader.Where(node ? node : tls);
  ReadList(reader, node, key, [&](const std::string& name, const YAML::Node& item) {
    if (auto mapped = lookup(name)) {
      out->push_back(*mapped);
    } else {
      const size_t space = what.find(' ');
      reader.Error(item, "unknown " + what.substr(0, space) + " '" + name + "' in " + key +
                             what.substr(space));
    }
  });
}

void ReadTlsVersion(YamlReader& reader, const YAML::Node& node, const std::string& key,
                    int* out) {
  if (!node) return;
  const std::string name = ReadString(reader, node, key);
  if (auto version = TlsVersionNumber(name)) {
    *out = *version;
  } else {
    reader.Error(node, "unknown TLS version '" + name + "' in " + key +
                           " (TLS10, TLS11, TLS12 or TLS13)");
  }
}

void ReadTls(YamlReader& reader, const YAML::Node& node, const std::string& base_dir,
             TlsServerConfig* tls) {
  if (!OpenSection(reader, node, "tls_server_config",
                   {"cert", "key", "client_ca", "cert_file", "key_file", "client_auth_type",
                    "client_ca_file", "client_allowed_sans", "min_version", "max_version",
                    "cipher_suites", "prefer_server_cipher_suites", "curve_preferences"}))
    return;
  tls->at = reader.Where(node);
  // A file key and its inline twin: one of them.
  auto read_pem = [&](const char* file_key, const char* inline_key, std::string* file,
                      std::string* text, Diagnostic* at) {
    const YAML::Node file_node = node[file_key];
    const YAML::Node inline_node = node[inline_key];
    *file = Resolve(base_dir, ReadString(reader, file_node, file_key));
    *text = ReadString(reader, inline_node, inline_key);
    if (!file->empty()) *at = reader.Where(file_node);
    if (!text->empty()) *at = reader.Where(inline_node);
    if (!file->empty() && !text->empty())
      reader.Error(inline_node, std::string("give ") + inline_key + " or " + file_key +
                                    ", not both");
  };
  read_pem("cert_file", "cert", &tls->cert_file, &tls->cert, &tls->cert_at);
  read_pem("key_file", "key", &tls->key_file, &tls->key, &tls->key_at);
  read_pem("client_ca_file", "client_ca", &tls->client_ca_file, &tls->client_ca,
           &tls->client_ca_at);

  const YAML::Node auth_node = node["client_auth_type"];
  tls->client_auth_name = ReadString(reader, auth_node, "client_auth_type");
  if (auto mode = ClientAuthFromName(tls->client_auth_name)) {
    tls->client_auth = *mode;
  } else {
    reader.Error(auth_node, "invalid client_auth_type '" + tls->client_auth_name +
                                "' (NoClientCert, RequestClientCert, RequireAnyClientCert, "
                                "VerifyClientCertIfGiven or RequireAndVerifyClientCert)");
  }
  const bool client_auth_given = !tls->client_auth_name.empty();
  if (!client_auth_given) tls->client_auth_name = "NoClientCert";

  ReadNames(reader, node, "cipher_suites", OpenSslCipherName,
            "cipher (Go's names, as crypto/tls CipherSuites() lists them, e.g. "
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256)",
            &tls->cipher_suites, &tls->cipher_suites_at);
  ReadNames(reader, node, "curve_preferences", OpenSslGroupName,
            "curve (CurveP256, CurveP384, CurveP521 or X25519)", &tls->curves, &tls->curves_at);
  ReadList(reader, node["client_allowed_sans"], "client_allowed_sans",
           [&](const std::string& san, const YAML::Node&) {
             tls->client_allowed_sans.push_back(san);
           });

  ReadTlsVersion(reader, node["min_version"], "min_version", &tls->min_version);
  ReadTlsVersion(reader, node["max_version"], "max_version", &tls->max_version);
  tls->max_version_at = reader.Where(node["max_version"] ? node["max_version"] : node);
  if (tls->min_version > tls->max_version)
    reader.Error(node["max_version"] ? node["max_version"] : node["min_version"],
                 "max_version is below min_version: no TLS version is left");
  if (auto n = node["prefer_server_cipher_suites"]) {
    if (auto v = reader.Bool(n, "prefer_server_cipher_suites"))
      tls->prefer_server_cipher_suites = *v;
  }

  tls->enabled = !tls->cert_file.empty() || !tls->cert.empty() || !tls->key_file.empty() ||
                 !tls->key.empty() || !tls->client_ca_file.empty() ||
                 !tls->client_ca.empty() || client_auth_given;
  if (!tls->enabled) return;
  if (tls->cert_file.empty() && tls->cert.empty())
    reader.Error(node, "tls_server_config is missing one of cert or cert_file");
  if (tls->key_file.empty() && tls->key.empty())
    reader.Error(node, "tls_server_config is missing one of key or key_file");
  if ((!tls->client_ca_file.empty() || !tls->client_ca.empty()) &&
      tls->client_auth == ClientAuth::kNoClientCert)
    reader.Error(auth_node ? auth_node : node,
                 "a client CA is configured but client_auth_type is NoClientCert: set "
                 "client_auth_type (RequireAndVerifyClientCert to require a certificate from "
                 "that CA)");
  if (!tls->client_allowed_sans.empty() &&
      tls->client_auth != ClientAuth::kRequireAnyClientCert &&
      tls->client_auth != ClientAuth::kRequireAndVerifyClientCert)
    reader.Error(node["client_allowed_sans"],
                 "client_allowed_sans requires client_auth_type RequireAnyClientCert or "
                 "RequireAndVerifyClientCert");
}

void ReadHttp(YamlReader& reader, const YAML::Node& node, WebConfig* web) {
  if (!OpenSection(reader, node, "http_server_config", {"http2", "headers"})) return;
  if (auto n = node["http2"]) {
    if (auto v = reader.Bool(n, "http2")) web->http2 = *v;
  }
  const YAML::Node headers = node["headers"];
  if (!headers || !OpenSection(reader, headers, "headers", {})) return;
  for (const auto& item : headers) {
    const std::string name = item.first.Scalar();
    auto allowed = AllowedHeaders().find(name);
    if (allowed == AllowedHeaders().end()) {
      std::vector<std::string> names;
      for (const auto& [header, values] : AllowedHeaders()) names.push_back(header);
      reader.Error(item.first, "HTTP header '" + name + "' can not be configured (only " +
                                   JoinNames(names) + ")");
      continue;
    }
    const std::string value = ReadString(reader, item.second, name);
    if (value.empty()) continue;  // "unset if blank"
    const auto& values = allowed->second;
    if (!values.empty() && std::find(values.begin(), values.end(), value) == values.end()) {
      reader.Error(item.second, "invalid value '" + value + "' for " + name + ": expected " +
                                    JoinNames(values));
      continue;
    }
    bool printable = true;
    for (unsigned char c : value) printable = printable && (c >= 0x20 || c == '\t') && c != 0x7f;
    if (!printable) {
      reader.Error(item.second, "the value of " + name + " holds control characters");
      continue;
    }
    web->headers.emplace_back(name, value);
  }
}

void ReadUsers(YamlReader& reader, const YAML::Node& node, WebConfig* web) {
  if (!OpenSection(reader, node, "basic_auth_users", {})) return;
  for (const auto& item : node) {
    const std::string user = item.first.Scalar();
    if (user.find(':') != std::string::npos) {
      reader.Error(item.first, "user '" + user + "': a name with ':' can never log in with "
                                                 "basic auth (the password starts at the first ':')");
      continue;
    }
    // Say where and why, never the hash itself.
    const std::string hash = ReadString(reader, item.second, "the password hash");
    if (const std::string problem = BcryptHashProblem(hash); !problem.empty()) {
      reader.Error(item.second.IsNull() ? item.first : item.second,
                   "user '" + user + "': " + problem);
      continue;
    }
    web->basic_auth_users[user] = hash;
  }
}

void ReadRateLimit(YamlReader& reader, const YAML::Node& node, RateLimitConfig* limit) {
  if (!OpenSection(reader, node, "rate_limit", {"interval", "burst"})) return;
  if (auto n = node["interval"]) {
    const std::string text = ReadString(reader, n, "interval");
    if (auto ns = ParseGoDurationNs(text)) {
      limit->interval_ns = *ns;
    } else {
      reader.Error(n, "interval must be a duration such as 1s, 250ms or 1m30s, not '" + text +
                          "'");
    }
  }
  if (auto n = node["burst"]) {
    if (auto v = reader.Int(n, "burst")) {
      if (*v < 0) reader.Error(n, "burst must not be negative");
      limit->burst = *v;
    }
  }
  if (limit->interval_ns > 0 && limit->burst < 1)
    reader.Error(node["burst"] ? node["burst"] : node,
                 "rate_limit needs burst of at least 1 when interval is set (with 0 no request "
                 "would ever pass)");
}

// "dev:inode:size:mtime" of each path ("-" when it cannot be seen).
std::string FileVersions(const std::vector<std::string>& paths) {
  std::string out;
  for (const auto& path : paths) {
    struct stat st;
    if (path.empty()) continue;
    if (::stat(path.c_str(), &st) != 0) {
      out += "-;";
      continue;
    }
    out += std::to_string(st.st_dev) + ':' + std::to_string(st.st_ino) + ':' +
           std::to_string(st.st_size) + ':' + std::to_string(st.st_mtim.tv_sec) + '.' +
           std::to_string(st.st_mtim.tv_nsec) + ';';
  }
  return out;
}

std::optional<WebConfig> ReadWebConfig(YamlReader& reader, const std::optional<YAML::Node>& root,
                                       const std::string& base_dir, Diagnostics* diagnostics) {
  const size_t errors_before = diagnostics->size();
  if (!root) return std::nullopt;
  WebConfig web;
  web.file = reader.file();
  if (OpenSection(reader, *root, "web config",
                  {"tls_server_config", "http_server_config", "basic_auth_users",
                   "rate_limit"})) {
    if (auto n = (*root)["tls_server_config"]) ReadTls(reader, n, base_dir, &web.tls);
    if (auto n = (*root)["http_server_config"]) ReadHttp(reader, n, &web);
    if (auto n = (*root)["basic_auth_users"]) ReadUsers(reader, n, &web);
    if (auto n = (*root)["rate_limit"]) ReadRateLimit(reader, n, &web.rate_limit);
  }
  if (diagnostics->size() != errors_before) return std::nullopt;
  return web;
}

}  // namespace

std::string WebConfig::CurrentFileVersions() const {
  return FileVersions({file}) + FileVersions({tls.cert_file, tls.key_file, tls.client_ca_file});
}

std::string WebConfig::Summary() const {
  // errpulse speaks HTTP/1.1 only: `http2` is accepted and has no effect.
  std::string out = tls.enabled ? "TLS on (client_auth_type " + tls.client_auth_name +
                                      ", HTTP/1.1 only)"
                                : "TLS off";
  out += basic_auth_users.empty()
             ? ", no basic auth"
             : ", basic auth for " + std::to_string(basic_auth_users.size()) + " user(s)";
  if (!headers.empty()) out += ", " + std::to_string(headers.size()) + " extra header(s)";
  if (rate_limit.interval_ns > 0)
    out += ", rate limit 1 request per " + std::to_string(rate_limit.interval_ns / 1000000) +
           "ms (burst " + std::to_string(rate_limit.burst) + ")";
  return out;
}

std::optional<WebConfig> ParseWebConfig(const std::string& text, const std::string& name,
                                        const std::string& base_dir, Diagnostics* diagnostics) {
  YamlReader reader(name, diagnostics);
  return ReadWebConfig(reader, reader.LoadString(text), base_dir, diagnostics);
}

std::optional<WebConfig> LoadWebConfig(const std::string& path, Diagnostics* diagnostics) {
  YamlReader reader(path, diagnostics);
  const std::string own_version = FileVersions({path});
  auto web = ReadWebConfig(reader, reader.LoadFile(), DirName(path), diagnostics);
  if (!web) return web;
  web->file_versions =
      own_version + FileVersions({web->tls.cert_file, web->tls.key_file, web->tls.client_ca_file});
  if (!web->tls.enabled) return web;
  web->tls_context = BuildTlsContext(web->tls, diagnostics);
  if (!web->tls_context) return std::nullopt;
  return web;
}

std::optional<int64_t> ParseGoDurationNs(const std::string& text) {
  if (text.empty()) return std::nullopt;
  size_t i = 0;
  if (text[0] == '+') ++i;
  if (text.size() - i == 1 && text[i] == '0') return 0;
  // A bare integer: nanoseconds, as yaml.v2 reads a number into a Duration.
  if (text.find_first_not_of("0123456789", i) == std::string::npos) {
    if (text.size() - i > 18) return std::nullopt;
    return std::stoll(text.substr(i));
  }
  static const std::vector<std::pair<std::string, int64_t>> kUnits = {
      {"ns", 1},          {"us", 1000},          {"\xc2\xb5s", 1000}, {"\xce\xbcs", 1000},
      {"ms", 1000000},    {"s", 1000000000},     {"m", 60000000000},  {"h", 3600000000000}};
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  int64_t total = 0;
  while (i < text.size()) {
    int64_t whole = 0, fraction = 0, scale = 1;
    bool digits = false;
    for (; i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])); ++i) {
      if (whole > kMax / 10) return std::nullopt;
      whole = whole * 10 + (text[i] - '0');
      digits = true;
    }
    if (i < text.size() && text[i] == '.') {
      for (++i; i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])); ++i) {
        if (scale < 1000000000000000000 / 10) {
          fraction = fraction * 10 + (text[i] - '0');
          scale *= 10;
        }
        digits = true;
      }
    }
    if (!digits) return std::nullopt;
    const std::pair<std::string, int64_t>* unit = nullptr;
    for (const auto& candidate : kUnits) {
      if (text.compare(i, candidate.first.size(), candidate.first) == 0 &&
          (!unit || candidate.first.size() > unit->first.size()))
        unit = &candidate;
    }
    if (!unit) return std::nullopt;
    i += unit->first.size();
    if (whole > (kMax - total) / unit->second) return std::nullopt;
    total += whole * unit->second + static_cast<int64_t>(static_cast<long double>(fraction) *
                                                         unit->second / scale);
  }
  return total;
}

}  // namespace errpulse
