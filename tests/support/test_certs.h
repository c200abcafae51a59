// Test certificates, made with the openssl CLI at test time (nothing secret
// is kept in the repository):
//   ca.pem/ca.key          a test CA
//   server.pem/server.key  issued by the CA for 127.0.0.1 (RSA)
//   client.pem/client.key  issued by the CA for a client: SAN DNS:client.test,
//                          email:scraper@client.test (EC P-256)
//   rogue.pem/rogue.key    self-signed for 127.0.0.1, not from the CA
//
// For tests only; not thread-safe. Failures are reported as gtest failures
// (check HasFatalFailure() after the call).
#pragma once

#include <string>
#include <vector>

#include "support/test_support.h"

namespace errpulse::testing {

// Runs /usr/bin/openssl with `args`; a gtest failure when it fails.
void Openssl(const std::vector<std::string>& args);

// Writes the files above into `dir`.
void MakeCertificates(const TempDir& dir);

// Another certificate from the test CA in `dir`: NAME.pem and NAME.key (RSA),
// for `subject` (e.g. "/CN=127.0.0.1") with `extensions` (openssl x509
// -extfile lines, e.g. "subjectAltName=IP:127.0.0.1\n").
void IssueCertificate(const TempDir& dir, const std::string& name, const std::string& subject,
                      const std::string& extensions);

}  // namespace errpulse::testing
