// TLS for the HTTP server: `tls_server_config` of the web config file (the
// Prometheus exporter toolkit's format) as data, the toolkit's names (Go's
// cipher suite, curve and version names, client_auth_type) mapped to
// OpenSSL's, and BuildTlsContext, which loads the certificate, key and client
// CAs and returns a ready OpenSSL server context.
//
// TlsServerConfig is a value type. BuildTlsContext is stateless and
// thread-safe; the context it returns is only read afterwards (OpenSSL allows
// creating connections from one context on several threads).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/diagnostic.h"

namespace boost::asio::ssl {
class context;
}

namespace errpulse {

// client_auth_type, with Go's crypto/tls meanings.
enum class ClientAuth {
  kNoClientCert,                // no certificate asked for
  kRequestClientCert,           // asked for, not required, not verified
  kRequireAnyClientCert,        // required, not verified
  kVerifyClientCertIfGiven,     // not required; verified against the client CAs if sent
  kRequireAndVerifyClientCert,  // required and verified: the only secure client-cert mode
};

inline constexpr int kTls10 = 0x0301, kTls11 = 0x0302, kTls12 = 0x0303, kTls13 = 0x0304;

struct TlsServerConfig {
  // As in the toolkit, TLS is on when any of cert, key, client CA or
  // client_auth_type is given; the other keys alone leave it off.
  bool enabled = false;
  // Files, already resolved against the web config file's directory.
  std::string cert_file;
  std::string key_file;
  std::string client_ca_file;
  // Inline PEM (`cert`, `key`, `client_ca`); `key` is a secret: never logged.
  std::string cert;
  std::string key;
  std::string client_ca;
  ClientAuth client_auth = ClientAuth::kNoClientCert;
  std::string client_auth_name = "NoClientCert";
  std::vector<std::string> cipher_suites;  // OpenSSL names; apply to TLS 1.2 and below
  std::vector<std::string> curves;         // OpenSSL group names, in preference order
  int min_version = kTls12;
  int max_version = kTls13;
  bool prefer_server_cipher_suites = true;
  std::vector<std::string> client_allowed_sans;  // exact matches against the client's SANs
  // Where each part was written (message empty), for errors found on loading.
  Diagnostic at;
  Diagnostic cert_at;
  Diagnostic key_at;
  Diagnostic client_ca_at;
  Diagnostic cipher_suites_at;
  Diagnostic curves_at;
  Diagnostic max_version_at;
};

// Go's name (as listed by crypto/tls CipherSuites(), e.g.
// TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256) -> OpenSSL's (ECDHE-RSA-AES128-GCM-SHA256).
// TLS 1.3 suites map to "" (accepted; Go does not let them be configured either).
// nullopt for a name the toolkit refuses (unknown or one of Go's insecure suites).
std::optional<std::string> OpenSslCipherName(const std::string& go_name);
// CurveP256, CurveP384, CurveP521, X25519 -> OpenSSL group names.
std::optional<std::string> OpenSslGroupName(const std::string& go_name);
// TLS10..TLS13 -> protocol version numbers.
std::optional<int> TlsVersionNumber(const std::string& name);
std::optional<ClientAuth> ClientAuthFromName(const std::string& name);

// Builds the server context: certificate chain and key (from file or inline),
// versions, ciphers, curves, server preference, client CAs and verification.
// On failure appends diagnostics at the key concerned (naming the file and
// OpenSSL's reason) and returns nullptr.
std::shared_ptr<boost::asio::ssl::context> BuildTlsContext(const TlsServerConfig& config,
                                                           Diagnostics* diagnostics);

}  // namespace errpulse
