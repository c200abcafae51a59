// See tls_context.h: what this is, ownership and thread-safety.
#include "http/tls_context.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/opensslv.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <boost/asio/ssl/context.hpp>
#include <cerrno>
#include <cstring>
#include <sys/stat.h>

#include <fstream>
#include <map>
#include <sstream>

namespace errpulse {
namespace {

namespace ssl = boost::asio::ssl;

// crypto/tls CipherSuites(): the suites the toolkit accepts, by Go's name.
const std::map<std::string, std::string>& CipherNames() {
  static const std::map<std::string, std::string> kNames = {
      {"TLS_RSA_WITH_AES_128_CBC_SHA", "AES128-SHA"},
      {"TLS_RSA_WITH_AES_256_CBC_SHA", "AES256-SHA"},
      {"TLS_RSA_WITH_AES_128_GCM_SHA256", "AES128-GCM-SHA256"},
      {"TLS_RSA_WITH_AES_256_GCM_SHA384", "AES256-GCM-SHA384"},
      {"TLS_AES_128_GCM_SHA256", ""},
      {"TLS_AES_256_GCM_SHA384", ""},
      {"TLS_CHACHA20_POLY1305_SHA256", ""},
      {"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "ECDHE-ECDSA-AES128-SHA"},
      {"TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", "ECDHE-ECDSA-AES256-SHA"},
      {"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "ECDHE-RSA-AES128-SHA"},
      {"TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", "ECDHE-RSA-AES256-SHA"},
      {"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256"},
      {"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "ECDHE-ECDSA-AES256-GCM-SHA384"},
      {"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "ECDHE-RSA-AES128-GCM-SHA256"},
      {"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "ECDHE-RSA-AES256-GCM-SHA384"},
      {"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-RSA-CHACHA20-POLY1305"},
      {"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-ECDSA-CHACHA20-POLY1305"},
  };
  return kNames;
}

void Report(Diagnostics* diagnostics, const Diagnostic& at, std::string message) {
  Diagnostic d = at;
  d.message = std::move(message);
  diagnostics->push_back(std::move(d));
}

// OpenSSL's reason for the last failure, and the error queue cleared.
std::string OpenSslReason(const boost::system::error_code& ec = {}) {
  std::string reason;
  if (unsigned long code = ERR_peek_last_error(); code != 0) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof(buffer));
    const char* text = ERR_reason_error_string(code);
    reason = text ? text : buffer;
  } else if (ec) {
    reason = ec.message();
  }
  ERR_clear_error();
  return reason.empty() ? "unknown OpenSSL error" : reason;
}

// The PEM text of a file-or-inline pair; `what` names it in messages.
std::optional<std::string> PemText(const std::string& file, const std::string& inline_text,
                                   const Diagnostic& at, const std::string& key,
                                   Diagnostics* diagnostics) {
  if (file.empty()) return inline_text;
  struct stat st;
  if (::stat(file.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    Report(diagnostics, at, "cannot read " + key + " " + file + ": " + std::strerror(EISDIR));
    return std::nullopt;
  }
  std::ifstream in(file, std::ios::binary);
  std::stringstream text;
  if (in) text << in.rdbuf();
  if (!in || in.bad()) {
    Report(diagnostics, at, "cannot read " + key + " " + file + ": " + std::strerror(errno));
    return std::nullopt;
  }
  return text.str();
}

std::string Describe(const std::string& file, const std::string& key) {
  return file.empty() ? "inline " + key : key + "_file " + file;
}

// Every certificate in a PEM text, or none.
std::vector<X509*> ReadCertificates(const std::string& pem) {
  std::vector<X509*> out;
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  while (X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) out.push_back(cert);
  BIO_free(bio);
  ERR_clear_error();  // the end of the text reads as "no start line"
  return out;
}

// The client certificate's Subject Alternative Names as Go prints them: DNS
// names, e-mail addresses, IP addresses and URIs.
std::vector<std::string> SubjectAltNames(X509* cert) {
  std::vector<std::string> out;
  auto* names = static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (!names) return out;
  for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
    auto text = [](const ASN1_STRING* s) {
      return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                         static_cast<size_t>(ASN1_STRING_length(s)));
    };
    if (name->type == GEN_DNS) out.push_back(text(name->d.dNSName));
    if (name->type == GEN_EMAIL) out.push_back(text(name->d.rfc822Name));
    if (name->type == GEN_URI) out.push_back(text(name->d.uniformResourceIdentifier));
    if (name->type == GEN_IPADD) {
      const std::string bytes = text(name->d.iPAddress);
      char buffer[INET6_ADDRSTRLEN] = {};
      const int family = bytes.size() == 4 ? AF_INET : bytes.size() == 16 ? AF_INET6 : 0;
      if (family && ::inet_ntop(family, bytes.data(), buffer, sizeof(buffer)))
        out.emplace_back(buffer);
    }
  }
  GENERAL_NAMES_free(names);
  return out;
}

bool LoadCertificateAndKey(ssl::context& context, const TlsServerConfig& config,
                           Diagnostics* diagnostics) {
  auto cert = PemText(config.cert_file, config.cert, config.cert_at, "cert_file", diagnostics);
  auto key = PemText(config.key_file, config.key, config.key_at, "key_file", diagnostics);
  if (!cert || !key) return false;
  boost::system::error_code ec;
  context.use_certificate_chain(boost::asio::buffer(*cert), ec);
  if (ec) {
    Report(diagnostics, config.cert_at,
           Describe(config.cert_file, "cert") + " holds no usable PEM certificate: " +
               OpenSslReason(ec));
    return false;
  }
  // Parsed on its own first, so "not a key" and "not this certificate's key"
  // get their own messages.
  BIO* bio = BIO_new_mem_buf(key->data(), static_cast<int>(key->size()));
  EVP_PKEY* pkey = PEM_read_bio_PrivateKey(
      bio, nullptr, [](char*, int, int, void*) { return 0; }, nullptr);  // never prompt
  BIO_free(bio);
  if (!pkey) {
    const bool encrypted = key->find("ENCRYPTED") != std::string::npos;
    Report(diagnostics, config.key_at,
           Describe(config.key_file, "key") +
               (encrypted ? " is encrypted; encrypted keys are not supported (as in the "
                            "exporter toolkit): decrypt it with openssl pkey"
                          : " holds no usable PEM private key: " + OpenSslReason()));
    ERR_clear_error();
    return false;
  }
  const bool matches = SSL_CTX_use_PrivateKey(context.native_handle(), pkey) == 1 &&
                       SSL_CTX_check_private_key(context.native_handle()) == 1;
  EVP_PKEY_free(pkey);
  if (!matches) {
    ERR_clear_error();
    Report(diagnostics, config.key_at,
           Describe(config.key_file, "key") + " does not belong to the certificate in " +
               Describe(config.cert_file, "cert"));
    return false;
  }
  return true;
}

bool LoadClientCas(ssl::context& context, const TlsServerConfig& config,
                   Diagnostics* diagnostics) {
  SSL_CTX* native = context.native_handle();
  if (config.client_ca_file.empty() && config.client_ca.empty()) {
    // As Go with no ClientCAs: verify against the system's roots.
    if (config.client_auth == ClientAuth::kVerifyClientCertIfGiven ||
        config.client_auth == ClientAuth::kRequireAndVerifyClientCert)
      SSL_CTX_set_default_verify_paths(native);
    return true;
  }
  auto pem = PemText(config.client_ca_file, config.client_ca, config.client_ca_at,
                     "client_ca_file", diagnostics);
  if (!pem) return false;
  std::vector<X509*> certs = ReadCertificates(*pem);
  if (certs.empty()) {
    Report(diagnostics, config.client_ca_at,
           Describe(config.client_ca_file, "client_ca") + " holds no PEM certificate");
    return false;
  }
  X509_STORE* store = SSL_CTX_get_cert_store(native);
  for (X509* cert : certs) {
    X509_STORE_add_cert(store, cert);
    SSL_CTX_add_client_CA(native, cert);  // named in the request, so clients pick the right one
    X509_free(cert);
  }
  ERR_clear_error();  // a CA listed twice is not an error
  return true;
}

void SetVerification(ssl::context& context, const TlsServerConfig& config) {
  int mode = ssl::verify_peer;
  bool verify_chain = true;
  switch (config.client_auth) {
    case ClientAuth::kNoClientCert:
      context.set_verify_mode(ssl::verify_none);
      return;
    case ClientAuth::kRequestClientCert:
      verify_chain = false;
      break;
    case ClientAuth::kRequireAnyClientCert:
      mode |= ssl::verify_fail_if_no_peer_cert;
      verify_chain = false;
      break;
    case ClientAuth::kVerifyClientCertIfGiven:
      break;
    case ClientAuth::kRequireAndVerifyClientCert:
      mode |= ssl::verify_fail_if_no_peer_cert;
      break;
  }
  context.set_verify_mode(mode);
  const std::vector<std::string> sans = config.client_allowed_sans;
  context.set_verify_callback([verify_chain, sans](bool preverified, ssl::verify_context& ctx) {
    X509_STORE_CTX* store = ctx.native_handle();
    if (!preverified && verify_chain) return false;
    if (sans.empty() || X509_STORE_CTX_get_error_depth(store) != 0) return true;
    X509* cert = X509_STORE_CTX_get_current_cert(store);
    if (!cert) return false;
    for (const auto& name : SubjectAltNames(cert))
      if (std::find(sans.begin(), sans.end(), name) != sans.end()) return true;
    return false;
  });
}

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    if (item.empty()) continue;
    if (!out.empty()) out += ':';
    out += item;
  }
  return out;
}

}  // namespace

std::optional<std::string> OpenSslCipherName(const std::string& go_name) {
  auto it = CipherNames().find(go_name);
  if (it == CipherNames().end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> OpenSslGroupName(const std::string& go_name) {
  static const std::map<std::string, std::string> kNames = {
      {"CurveP256", "P-256"}, {"CurveP384", "P-384"}, {"CurveP521", "P-521"}, {"X25519", "X25519"}};
  auto it = kNames.find(go_name);
  if (it == kNames.end()) return std::nullopt;
  return it->second;
}

std::optional<int> TlsVersionNumber(const std::string& name) {
  static const std::map<std::string, int> kVersions = {
      {"TLS10", kTls10}, {"TLS11", kTls11}, {"TLS12", kTls12}, {"TLS13", kTls13}};
  auto it = kVersions.find(name);
  if (it == kVersions.end()) return std::nullopt;
  return it->second;
}

std::optional<ClientAuth> ClientAuthFromName(const std::string& name) {
  static const std::map<std::string, ClientAuth> kModes = {
      {"", ClientAuth::kNoClientCert},
      {"NoClientCert", ClientAuth::kNoClientCert},
      {"RequestClientCert", ClientAuth::kRequestClientCert},
      {"RequireAnyClientCert", ClientAuth::kRequireAnyClientCert},
      {"RequireClientCert", ClientAuth::kRequireAnyClientCert},  // the toolkit's old spelling
      {"VerifyClientCertIfGiven", ClientAuth::kVerifyClientCertIfGiven},
      {"RequireAndVerifyClientCert", ClientAuth::kRequireAndVerifyClientCert}};
  auto it = kModes.find(name);
  if (it == kModes.end()) return std::nullopt;
  return it->second;
}

std::shared_ptr<ssl::context> BuildTlsContext(const TlsServerConfig& config,
                                              Diagnostics* diagnostics) {
  ERR_clear_error();
  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* native = context->native_handle();
  SSL_CTX_set_options(native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  if (config.prefer_server_cipher_suites) {
    SSL_CTX_set_options(native, SSL_OP_CIPHER_SERVER_PREFERENCE);
  } else {
    SSL_CTX_clear_options(native, SSL_OP_CIPHER_SERVER_PREFERENCE);
  }
  SSL_CTX_set_min_proto_version(native, config.min_version);
  SSL_CTX_set_max_proto_version(native, config.max_version);
  bool ok = true;
  // OpenSSL 3 refuses TLS 1.0 and 1.1 at security level 1 and above (Debian's
  // default is 2): a lower min_version is harmless, a lower max_version
  // would fail every handshake.
  if (OPENSSL_VERSION_NUMBER >= 0x30000000L && SSL_CTX_get_security_level(native) >= 1 &&
      config.max_version < kTls12) {
    Report(diagnostics, config.max_version_at,
           "max_version is below TLS12, and this system's OpenSSL (security level " +
               std::to_string(SSL_CTX_get_security_level(native)) +
               ") allows no TLS version below 1.2: no handshake could succeed");
    ok = false;
  }
  // Resumed sessions with client certificates need an id context, or they fail.
  static const unsigned char kSessionContext[] = "errpulse";
  SSL_CTX_set_session_id_context(native, kSessionContext, sizeof(kSessionContext) - 1);

  if (!LoadCertificateAndKey(*context, config, diagnostics)) ok = false;
  if (const std::string ciphers = Join(config.cipher_suites); !ciphers.empty()) {
    if (SSL_CTX_set_cipher_list(native, ciphers.c_str()) != 1) {
      Report(diagnostics, config.cipher_suites_at,
             "none of cipher_suites is available in this OpenSSL: " + OpenSslReason());
      ok = false;
    }
  }
  if (const std::string groups = Join(config.curves); !groups.empty()) {
    if (SSL_CTX_set1_groups_list(native, groups.c_str()) != 1) {
      Report(diagnostics, config.curves_at,
             "curve_preferences: not available in this OpenSSL: " + OpenSslReason());
      ok = false;
    }
  }
  if (!LoadClientCas(*context, config, diagnostics)) ok = false;
  SetVerification(*context, config);
  ERR_clear_error();
  return ok ? context : nullptr;
}

}  // namespace errpulse
