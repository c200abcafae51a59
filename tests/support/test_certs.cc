// Test certificates made with the openssl CLI; see test_certs.h.
#include "support/test_certs.h"

#include <gtest/gtest.h>

namespace errpulse::testing {

void Openssl(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"/usr/bin/openssl"};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = RunCommand(argv);
  ASSERT_EQ(r.status, 0) << r.err;
}

namespace {

// A key and CSR for `subject`, then a certificate the test CA signs with `extensions`.
void Issue(const TempDir& dir, const std::string& name, const std::vector<std::string>& newkey,
           const std::string& subject, const std::string& extensions) {
  std::vector<std::string> request = {"req"};
  request.insert(request.end(), newkey.begin(), newkey.end());
  request.insert(request.end(), {"-nodes", "-keyout", dir.File(name + ".key"), "-out",
                                 dir.File(name + ".csr"), "-subj", subject});
  Openssl(request);
  WriteFile(dir.File(name + ".cnf"), extensions);
  Openssl({"x509", "-req", "-in", dir.File(name + ".csr"), "-CA", dir.File("ca.pem"), "-CAkey",
           dir.File("ca.key"), "-CAcreateserial", "-out", dir.File(name + ".pem"), "-days", "2",
           "-extfile", dir.File(name + ".cnf")});
}

}  // namespace

void MakeCertificates(const TempDir& dir) {
  Openssl({"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", dir.File("ca.key"), "-out",
           dir.File("ca.pem"), "-days", "2", "-subj", "/CN=errpulse test CA"});
  IssueCertificate(dir, "server", "/CN=127.0.0.1", "subjectAltName=IP:127.0.0.1\n");
  Issue(dir, "client", {"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"},
        "/CN=scraper", "subjectAltName=DNS:client.test,email:scraper@client.test\n"
        "extendedKeyUsage=clientAuth\n");
  Openssl({"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", dir.File("rogue.key"),
           "-out", dir.File("rogue.pem"), "-days", "2", "-subj", "/CN=127.0.0.1", "-addext",
           "subjectAltName=IP:127.0.0.1"});
}

void IssueCertificate(const TempDir& dir, const std::string& name, const std::string& subject,
                      const std::string& extensions) {
  Issue(dir, name, {"-newkey", "rsa:2048"}, subject, extensions);
}

}  // namespace errpulse::testing
