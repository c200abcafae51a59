// Loading a web config with its files: certificate, key and client CA from
// files (relative to the web config) or inline, and a clear error naming the
// file, at the key's FILE:LINE:COL, for each way they can be wrong.
#include "http/tls_context.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "http/web_config.h"
#include "support/test_certs.h"
#include "support/test_support.h"

namespace errpulse {
namespace {

namespace t = errpulse::testing;

class TlsContextTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new t::TempDir();
    t::MakeCertificates(*dir_);
    made_ = !HasFatalFailure();
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  void SetUp() override {
    ASSERT_TRUE(made_) << "the test certificates could not be made";
  }

  // Writes `yaml` as web.yml in a fresh directory next to the certificates
  // (the web config's directory is where relative paths start).
  std::string Load(const std::string& yaml, std::optional<WebConfig>* web) {
    const std::string path = dir_->File("web.yml");
    t::WriteFile(path, yaml);
    Diagnostics d;
    *web = LoadWebConfig(path, &d);
    return FormatDiagnostics(d);
  }
  std::string Errors(const std::string& yaml) {
    std::optional<WebConfig> web;
    const std::string all = Load(yaml, &web);
    EXPECT_FALSE(web) << "expected errors for:\n" << yaml;
    return all;
  }
  // `yaml` must fail with `message` at line:column of web.yml.
  void ExpectError(const std::string& yaml, int line, int column, const std::string& message) {
    const std::string want = dir_->File("web.yml") + ":" + std::to_string(line) + ":" +
                             std::to_string(column) + ": " + message;
    const std::string all = Errors(yaml);
    EXPECT_NE(all.find(want), std::string::npos) << "want: " << want << "\ngot:\n" << all;
  }

  static t::TempDir* dir_;
  static bool made_;
};

t::TempDir* TlsContextTest::dir_ = nullptr;
bool TlsContextTest::made_ = false;

TEST_F(TlsContextTest, RelativeFilesLoadIntoAContext) {
  std::optional<WebConfig> web;
  const std::string errors = Load(
      "tls_server_config:\n  cert_file: server.pem\n  key_file: ./server.key\n"
      "  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.pem\n"
      "  cipher_suites: [TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384]\n"
      "  curve_preferences: [CurveP384, X25519]\n",
      &web);
  ASSERT_TRUE(web) << errors;
  EXPECT_TRUE(web->tls_context);
  EXPECT_EQ(web->tls.cert_file, dir_->File("server.pem"));
  EXPECT_EQ(web->tls.key_file, dir_->path() + "/./server.key");
}

TEST_F(TlsContextTest, InlineCertificateKeyAndClientCa) {
  auto indent = [](const std::string& text) {
    std::string out;
    for (char c : text) out += c == '\n' ? std::string("\n    ") : std::string(1, c);
    return out;
  };
  std::optional<WebConfig> web;
  const std::string errors =
      Load("tls_server_config:\n  cert: |\n    " + indent(t::ReadFile(dir_->File("server.pem"))) +
               "\n  key: |\n    " + indent(t::ReadFile(dir_->File("server.key"))) +
               "\n  client_auth_type: VerifyClientCertIfGiven\n  client_ca: |\n    " +
               indent(t::ReadFile(dir_->File("ca.pem"))) + "\n",
           &web);
  ASSERT_TRUE(web) << errors;
  EXPECT_TRUE(web->tls_context);
}

TEST_F(TlsContextTest, MissingFilesAreNamed) {
  const std::string yaml =
      "tls_server_config:\n  cert_file: missing.pem\n  key_file: /nonexistent/server.key\n";
  ExpectError(yaml, 2, 14,
              "cannot read cert_file " + dir_->File("missing.pem") + ": No such file or directory");
  ExpectError(yaml, 3, 13,
              "cannot read key_file /nonexistent/server.key: No such file or directory");
}

// A key file that cannot be read is named with the reason. (A directory in
// its place: unreadable even for root, who runs the tests in CI.)
TEST_F(TlsContextTest, UnreadableKeyIsNamed) {
  ::mkdir(dir_->File("dir.key").c_str(), 0700);
  ExpectError("tls_server_config:\n  cert_file: server.pem\n  key_file: dir.key\n", 3, 13,
              "cannot read key_file " + dir_->File("dir.key") + ": Is a directory");
}

TEST_F(TlsContextTest, NotPemAndMismatchedKey) {
  t::WriteFile(dir_->File("junk.pem"), "not a certificate\n");
  ExpectError("tls_server_config:\n  cert_file: junk.pem\n  key_file: server.key\n", 2, 14,
              "cert_file " + dir_->File("junk.pem") + " holds no usable PEM certificate");
  ExpectError("tls_server_config:\n  cert_file: server.pem\n  key_file: junk.pem\n", 3, 13,
              "key_file " + dir_->File("junk.pem") + " holds no usable PEM private key");
  ExpectError("tls_server_config:\n  cert_file: server.pem\n  key_file: rogue.key\n", 3, 13,
              "key_file " + dir_->File("rogue.key") +
                  " does not belong to the certificate in cert_file " + dir_->File("server.pem"));
}

TEST_F(TlsContextTest, EncryptedKeyFailsWithoutPrompting) {
  t::Openssl({"pkey", "-in", dir_->File("server.key"), "-aes256", "-passout", "pass:secret",
              "-out", dir_->File("encrypted.key")});
  ExpectError("tls_server_config:\n  cert_file: server.pem\n  key_file: encrypted.key\n", 3, 13,
              "key_file " + dir_->File("encrypted.key") +
                  " is encrypted; encrypted keys are not supported");
}

TEST_F(TlsContextTest, MaxVersionBelowWhatOpenSslAllows) {
  ExpectError("tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n"
              "  min_version: TLS10\n  max_version: TLS11\n",
              5, 16, "max_version is below TLS12, and this system's OpenSSL (security level ");
  // A low min_version alone is fine: TLS 1.2 and 1.3 remain.
  std::optional<WebConfig> web;
  const std::string errors = Load(
      "tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n"
      "  min_version: TLS10\n",
      &web);
  EXPECT_TRUE(web) << errors;
}

TEST_F(TlsContextTest, ClientCaWithoutCertificates) {
  t::WriteFile(dir_->File("empty-ca.pem"), "# no certificates here\n");
  ExpectError("tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n"
              "  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: empty-ca.pem\n",
              5, 19, "client_ca_file " + dir_->File("empty-ca.pem") + " holds no PEM certificate");
}

TEST_F(TlsContextTest, NamesMapToOpenSsl) {
  EXPECT_EQ(OpenSslCipherName("TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"),
            "ECDHE-ECDSA-AES256-GCM-SHA384");
  EXPECT_EQ(OpenSslCipherName("TLS_RSA_WITH_AES_128_CBC_SHA"), "AES128-SHA");
  EXPECT_EQ(OpenSslCipherName("TLS_CHACHA20_POLY1305_SHA256"), "");
  // Go's insecure suites are refused by the toolkit, and so here.
  EXPECT_FALSE(OpenSslCipherName("TLS_RSA_WITH_3DES_EDE_CBC_SHA"));
  EXPECT_FALSE(OpenSslCipherName("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256"));
  EXPECT_EQ(OpenSslGroupName("CurveP521"), "P-521");
  EXPECT_EQ(TlsVersionNumber("TLS10"), kTls10);
  EXPECT_FALSE(ClientAuthFromName("requireandverifyclientcert"));
  // Every suite the toolkit accepts is one this OpenSSL knows.
  for (const char* name :
       {"TLS_RSA_WITH_AES_128_CBC_SHA", "TLS_RSA_WITH_AES_256_CBC_SHA",
        "TLS_RSA_WITH_AES_128_GCM_SHA256", "TLS_RSA_WITH_AES_256_GCM_SHA384",
        "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
        "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"}) {
    std::optional<WebConfig> web;
    const std::string errors = Load(std::string("tls_server_config:\n  cert_file: server.pem\n"
                                                "  key_file: server.key\n  cipher_suites: [") +
                                        name + "]\n",
                                    &web);
    EXPECT_TRUE(web) << name << ": " << errors;
  }
}

}  // namespace
}  // namespace errpulse
