// The web config parser (the exporter toolkit's format): every key, the
// defaults, relative paths, and FILE:LINE:COL on every mistake.
#include "http/web_config.h"

#include <gtest/gtest.h>

namespace errpulse {
namespace {

// A bcrypt hash of "correct horse" at cost 04, made with
// `htpasswd -nbB -C 4 alice 'correct horse'` (Debian apache2-utils).
constexpr const char* kHash = "$2y$04$bxS42ikFUUQig0Q2KTmseOGR7egWz8Jb/TDMgXWSJ0bi1EFdOJa4G";

std::optional<WebConfig> Parse(const std::string& yaml, Diagnostics* d) {
  return ParseWebConfig(yaml, "web.yml", "/etc/errpulse", d);
}

// A file that must parse.
WebConfig Valid(const std::string& yaml) {
  Diagnostics d;
  auto web = Parse(yaml, &d);
  EXPECT_TRUE(web) << FormatDiagnostics(d);
  return web.value_or(WebConfig());
}

// All diagnostics of a file that must not parse, one per line.
std::string Errors(const std::string& yaml) {
  Diagnostics d;
  EXPECT_FALSE(Parse(yaml, &d)) << "expected errors for:\n" << yaml;
  return FormatDiagnostics(d);
}

#define EXPECT_ERROR(yaml, text)                                     \
  do {                                                               \
    const std::string all = Errors(yaml);                            \
    EXPECT_NE(all.find(text), std::string::npos) << "want: " << text \
                                                 << "\ngot:\n" << all; \
  } while (0)

TEST(WebConfig, EmptyFileIsPlainHttpWithoutAuth) {
  for (const char* text : {"", "# nothing\n", "tls_server_config:\nbasic_auth_users:\n"}) {
    Diagnostics d;
    auto web = Parse(text, &d);
    ASSERT_TRUE(web) << FormatDiagnostics(d);
    EXPECT_FALSE(web->tls.enabled);
    EXPECT_TRUE(web->basic_auth_users.empty());
    EXPECT_TRUE(web->http2);
    EXPECT_EQ(web->tls.min_version, kTls12);
    EXPECT_EQ(web->tls.max_version, kTls13);
    EXPECT_TRUE(web->tls.prefer_server_cipher_suites);
    EXPECT_EQ(web->Summary(), "TLS off, no basic auth");
  }
}

TEST(WebConfig, ReadsEveryKeyAndResolvesRelativePaths) {
  Diagnostics d;
  auto web = Parse(std::string(R"(tls_server_config:
  cert_file: tls/server.pem
  key_file: /abs/server.key
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: ../ca/clients.pem
  client_allowed_sans: [client.test, 10.0.0.1]
  min_version: TLS13
  max_version: TLS13
  cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_AES_128_GCM_SHA256,
                  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256]
  curve_preferences: [X25519, CurveP256]
  prefer_server_cipher_suites: false
http_server_config:
  http2: false
  headers:
    X-Frame-Options: deny
    X-Content-Type-Options: nosniff
    Content-Security-Policy: "default-src 'self'"
    Strict-Transport-Security: ""
basic_auth_users:
  alice: )") + kHash + R"(
  "bob smith": ')" + kHash + R"('
rate_limit:
  interval: 1m30s
  burst: 5
)", &d);
  ASSERT_TRUE(web) << FormatDiagnostics(d);
  const TlsServerConfig& tls = web->tls;
  EXPECT_TRUE(tls.enabled);
  EXPECT_EQ(tls.cert_file, "/etc/errpulse/tls/server.pem");
  EXPECT_EQ(tls.key_file, "/abs/server.key");
  EXPECT_EQ(tls.client_ca_file, "/etc/errpulse/../ca/clients.pem");
  EXPECT_EQ(tls.client_auth, ClientAuth::kRequireAndVerifyClientCert);
  EXPECT_EQ(tls.client_allowed_sans, (std::vector<std::string>{"client.test", "10.0.0.1"}));
  EXPECT_EQ(tls.min_version, kTls13);
  EXPECT_EQ(tls.max_version, kTls13);
  // Go's names become OpenSSL's; a TLS 1.3 suite is accepted and maps to
  // nothing (Go does not let TLS 1.3 suites be chosen either).
  EXPECT_EQ(tls.cipher_suites, (std::vector<std::string>{"ECDHE-RSA-AES128-GCM-SHA256", "",
                                                         "ECDHE-ECDSA-CHACHA20-POLY1305"}));
  EXPECT_EQ(tls.curves, (std::vector<std::string>{"X25519", "P-256"}));
  EXPECT_FALSE(tls.prefer_server_cipher_suites);
  EXPECT_EQ(tls.cert_at.line, 2);
  EXPECT_EQ(tls.cert_at.column, 14);
  EXPECT_FALSE(web->http2);
  // A blank header value leaves the header unset.
  EXPECT_EQ(web->headers, (std::vector<std::pair<std::string, std::string>>{
                              {"X-Frame-Options", "deny"},
                              {"X-Content-Type-Options", "nosniff"},
                              {"Content-Security-Policy", "default-src 'self'"}}));
  EXPECT_EQ(web->basic_auth_users.size(), 2u);
  EXPECT_EQ(web->basic_auth_users.at("bob smith"), kHash);
  EXPECT_EQ(web->rate_limit.interval_ns, 90'000'000'000);
  EXPECT_EQ(web->rate_limit.burst, 5);
  EXPECT_EQ(web->Summary(),
            "TLS on (client_auth_type RequireAndVerifyClientCert, HTTP/1.1 only), basic auth for "
            "2 user(s), 3 extra header(s), rate limit 1 request per 90000ms (burst 5)");
}

TEST(WebConfig, InlineCertificateAndKey) {
  const WebConfig web = Valid("tls_server_config:\n  cert: |\n    -----BEGIN CERTIFICATE-----\n"
                              "    x\n  key: secret\n");
  EXPECT_TRUE(web.tls.enabled);
  EXPECT_EQ(web.tls.cert, "-----BEGIN CERTIFICATE-----\nx\n");
  EXPECT_EQ(web.tls.key, "secret");
  EXPECT_EQ(web.tls.key_at.line, 5);
}

TEST(WebConfig, TlsIsOffWithoutCertificateKeyOrClientSettings) {
  // As in the toolkit: versions and ciphers alone do not turn TLS on.
  EXPECT_FALSE(Valid("tls_server_config:\n  min_version: TLS13\n  cipher_suites: "
                     "[TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]\n")
                   .tls.enabled);
}

TEST(WebConfig, OldSpellingRequireClientCertIsRequireAny) {
  EXPECT_EQ(Valid("tls_server_config:\n  cert_file: a\n  key_file: b\n"
                  "  client_auth_type: RequireClientCert\n")
                .tls.client_auth,
            ClientAuth::kRequireAnyClientCert);
}

TEST(WebConfig, UnknownKeysAreErrorsWithSuggestions) {
  EXPECT_ERROR("tls_server_configs: {}\n",
               "web.yml:1:1: unknown key 'tls_server_configs' in web config (did you mean "
               "'tls_server_config'?)");
  EXPECT_ERROR("tls_server_config:\n  cert_fle: a\n",
               "web.yml:2:3: unknown key 'cert_fle' in tls_server_config (did you mean "
               "'cert_file'?)");
  EXPECT_ERROR("http_server_config:\n  http3: true\n",
               "web.yml:2:3: unknown key 'http3' in http_server_config");
  EXPECT_ERROR("rate_limit:\n  intervals: 1s\n",
               "web.yml:2:3: unknown key 'intervals' in rate_limit (did you mean 'interval'?)");
}

TEST(WebConfig, RepeatedKeysAreErrors) {
  EXPECT_ERROR(std::string("basic_auth_users:\n  alice: ") + kHash + "\n  alice: " + kHash + "\n",
               "web.yml:3:3: 'alice' is given twice in basic_auth_users");
  EXPECT_ERROR("tls_server_config:\n  cert_file: a\n  key_file: b\n  cert_file: c\n",
               "web.yml:4:3: 'cert_file' is given twice in tls_server_config");
}

TEST(WebConfig, WrongShapes) {
  EXPECT_ERROR("- a\n", "web.yml:1:1: web config must be a mapping");
  EXPECT_ERROR("tls_server_config: [a]\n",
               "web.yml:1:20: tls_server_config must be a mapping");
  EXPECT_ERROR("tls_server_config:\n  cipher_suites: TLS_AES_128_GCM_SHA256\n",
               "web.yml:2:18: cipher_suites must be a list");
  EXPECT_ERROR("tls_server_config:\n  cert_file: [a]\n", "web.yml:2:14: cert_file must be a string");
  EXPECT_ERROR("http_server_config:\n  http2: maybe\n",
               "web.yml:2:10: http2 must be true or false");
  EXPECT_ERROR("tls_server_config:\n  prefer_server_cipher_suites: 1\n",
               "web.yml:2:32: prefer_server_cipher_suites must be true or false");
  EXPECT_ERROR("basic_auth_users: [alice]\n",
               "web.yml:1:19: basic_auth_users must be a mapping");
  EXPECT_ERROR("tls_server_config: {\n", "web.yml:2:1: YAML syntax error");
}

TEST(WebConfig, TlsNamesAreChecked) {
  EXPECT_ERROR("tls_server_config:\n  client_auth_type: RequireCert\n",
               "web.yml:2:21: invalid client_auth_type 'RequireCert' (NoClientCert, "
               "RequestClientCert, RequireAnyClientCert, VerifyClientCertIfGiven or "
               "RequireAndVerifyClientCert)");
  EXPECT_ERROR("tls_server_config:\n  cipher_suites:\n    - TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\n"
               "    - TLS_RSA_WITH_RC4_128_SHA\n",
               "web.yml:4:7: unknown cipher 'TLS_RSA_WITH_RC4_128_SHA' in cipher_suites");
  EXPECT_ERROR("tls_server_config:\n  curve_preferences: [X25519, P-256]\n",
               "web.yml:2:31: unknown curve 'P-256' in curve_preferences (CurveP256, CurveP384, "
               "CurveP521 or X25519)");
  EXPECT_ERROR("tls_server_config:\n  min_version: TLS1.2\n",
               "web.yml:2:16: unknown TLS version 'TLS1.2' in min_version (TLS10, TLS11, TLS12 "
               "or TLS13)");
  EXPECT_ERROR("tls_server_config:\n  min_version: TLS13\n  max_version: TLS12\n",
               "web.yml:3:16: max_version is below min_version");
}

TEST(WebConfig, TlsCombinationsAreChecked) {
  EXPECT_ERROR("tls_server_config:\n  key_file: server.key\n",
               "web.yml:2:3: tls_server_config is missing one of cert or cert_file");
  EXPECT_ERROR("tls_server_config:\n  cert_file: server.pem\n",
               "web.yml:2:3: tls_server_config is missing one of key or key_file");
  EXPECT_ERROR("tls_server_config:\n  cert_file: a\n  cert: b\n  key_file: c\n",
               "web.yml:3:9: give cert or cert_file, not both");
  EXPECT_ERROR("tls_server_config:\n  cert_file: a\n  key_file: b\n  client_ca_file: ca.pem\n",
               "web.yml:2:3: a client CA is configured but client_auth_type is NoClientCert");
  EXPECT_ERROR("tls_server_config:\n  cert_file: a\n  key_file: b\n"
               "  client_auth_type: VerifyClientCertIfGiven\n  client_allowed_sans: [x]\n",
               "web.yml:5:24: client_allowed_sans requires client_auth_type "
               "RequireAnyClientCert or RequireAndVerifyClientCert");
}

TEST(WebConfig, HeadersAreTheToolkitsOnly) {
  EXPECT_ERROR("http_server_config:\n  headers:\n    Server: nginx\n",
               "web.yml:3:5: HTTP header 'Server' can not be configured (only "
               "Content-Security-Policy, Strict-Transport-Security, X-Content-Type-Options, "
               "X-Frame-Options, X-XSS-Protection)");
  EXPECT_ERROR("http_server_config:\n  headers:\n    x-frame-options: deny\n",
               "web.yml:3:5: HTTP header 'x-frame-options' can not be configured");
  EXPECT_ERROR("http_server_config:\n  headers:\n    X-Frame-Options: DENY\n",
               "web.yml:3:22: invalid value 'DENY' for X-Frame-Options: expected deny, "
               "sameorigin");
  EXPECT_ERROR("http_server_config:\n  headers:\n    X-Content-Type-Options: sniff\n",
               "web.yml:3:29: invalid value 'sniff' for X-Content-Type-Options: expected "
               "nosniff");
  EXPECT_ERROR("http_server_config:\n  headers:\n    X-XSS-Protection: \"1\\r\\nSet-Cookie: a\"\n",
               "web.yml:3:23: the value of X-XSS-Protection holds control characters");
}

TEST(WebConfig, UsersNeedBcryptHashesAndNeverShowThem) {
  EXPECT_ERROR("basic_auth_users:\n  alice: secret123\n",
               "web.yml:2:10: user 'alice': not a bcrypt hash (one starts with $2a$, $2b$ or "
               "$2y$");
  EXPECT_ERROR("basic_auth_users:\n  alice:\n", "web.yml:2:3: user 'alice': not a bcrypt hash");
  EXPECT_ERROR("basic_auth_users:\n  alice: $2y$10$short\n",
               "web.yml:2:10: user 'alice': malformed bcrypt hash (expected 60 characters");
  std::string cost_99 = kHash;
  cost_99.replace(4, 2, "99");
  EXPECT_ERROR("basic_auth_users:\n  alice: " + cost_99 + "\n",
               "web.yml:2:10: user 'alice': bcrypt cost must be between 04 and 31");
  std::string bad_char = kHash;
  bad_char[20] = '!';
  EXPECT_ERROR("basic_auth_users:\n  alice: '" + bad_char + "'\n",
               "web.yml:2:10: user 'alice': malformed bcrypt hash (invalid character)");
  EXPECT_ERROR(std::string("basic_auth_users:\n  'a:b': ") + kHash + "\n",
               "web.yml:2:3: user 'a:b': a name with ':' can never log in");
  EXPECT_EQ(Errors("basic_auth_users:\n  alice: secret123\n").find("secret123"),
            std::string::npos);
}

TEST(WebConfig, RateLimitIsChecked) {
  EXPECT_ERROR("rate_limit:\n  interval: 5 seconds\n  burst: 1\n",
               "web.yml:2:13: interval must be a duration such as 1s, 250ms or 1m30s, not "
               "'5 seconds'");
  EXPECT_ERROR("rate_limit:\n  interval: 1s\n",
               "web.yml:2:3: rate_limit needs burst of at least 1 when interval is set");
  EXPECT_ERROR("rate_limit:\n  interval: 1s\n  burst: -2\n",
               "web.yml:3:10: burst must not be negative");
  EXPECT_ERROR("rate_limit:\n  burst: many\n", "web.yml:2:10: burst must be an integer");
  EXPECT_EQ(Valid("rate_limit:\n  interval: 0\n").rate_limit.interval_ns, 0);
}

TEST(WebConfig, GoDurations) {
  EXPECT_EQ(ParseGoDurationNs("0"), 0);
  EXPECT_EQ(ParseGoDurationNs("1s"), 1'000'000'000);
  EXPECT_EQ(ParseGoDurationNs("250ms"), 250'000'000);
  EXPECT_EQ(ParseGoDurationNs("1m30s"), 90'000'000'000);
  EXPECT_EQ(ParseGoDurationNs("1.5h"), 5'400'000'000'000);
  EXPECT_EQ(ParseGoDurationNs("2h45m0.5s"), 9'900'500'000'000);
  EXPECT_EQ(ParseGoDurationNs("10us"), 10'000);
  EXPECT_EQ(ParseGoDurationNs("10\xc2\xb5s"), 10'000);
  EXPECT_EQ(ParseGoDurationNs("7ns"), 7);
  EXPECT_EQ(ParseGoDurationNs("1000000000"), 1'000'000'000);  // a YAML integer: nanoseconds
  for (const char* bad : {"", "s", "1x", "-1s", "1s2", "1.s.", "99999999999999999999h", ".s"})
    EXPECT_FALSE(ParseGoDurationNs(bad)) << bad;
}

TEST(WebConfig, LoadReportsUnreadableFile) {
  Diagnostics d;
  EXPECT_FALSE(LoadWebConfig("/nonexistent/web.yml", &d));
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].ToString(), "/nonexistent/web.yml: cannot open: No such file or directory");
}

}  // namespace
}  // namespace errpulse
