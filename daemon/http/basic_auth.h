// Basic auth as the Prometheus exporter toolkit does it: users map to bcrypt
// hashes (`basic_auth_users` in the web config); a request passes when its
// `Authorization: Basic ...` names a user whose hash the password matches.
//
// Verification uses libcrypt (libxcrypt: $2a$, $2b$, $2y$) and compares in
// constant time. A bcrypt costs tens of milliseconds by design, so verified
// credentials are remembered (keyed by a SHA-256 of user, stored hash and
// password, never the password itself; bounded), and a scrape every 15 s
// costs one bcrypt, not one per scrape. Failures are never remembered: each
// wrong password costs its bcrypt, which is what makes guessing slow.
//
// BasicAuthenticator is immutable apart from its cache, which has its own
// mutex: thread-safe. The free functions are stateless and thread-safe.
#pragma once

#include <cstddef>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>

namespace errpulse {

// Empty when `hash` is a bcrypt hash libcrypt can check ($2a$/$2b$/$2y$, cost
// 04..31, 53 characters of salt and digest); else why it is not.
std::string BcryptHashProblem(const std::string& hash);

// Whether `password` hashes to `hash` (bcrypt, through libcrypt's crypt_rn).
// False for a malformed hash and for a password holding a NUL byte (libcrypt
// would stop at it, and a password cut short must not pass).
bool VerifyBcrypt(std::string_view password, const std::string& hash);

struct BasicCredentials {
  std::string user;
  std::string password;
};

// Parses an Authorization header value `Basic base64(user:password)` (scheme
// case-insensitive, strict base64, split at the first ':'), as Go's
// Request.BasicAuth does. nullopt when it is not that.
std::optional<BasicCredentials> ParseBasicAuthorization(std::string_view header);

class BasicAuthenticator {
 public:
  // `users`: user -> bcrypt hash, already checked with BcryptHashProblem.
  explicit BasicAuthenticator(std::map<std::string, std::string> users);

  // Cheap: true when these credentials were verified before (cached).
  bool IsVerified(const BasicCredentials& credentials) const;
  // Expensive (one bcrypt): checks the credentials and caches a success. An
  // unknown user costs the same bcrypt as a known one (against a configured
  // user's hash, the result thrown away), so timing does not tell which users
  // exist.
  bool Verify(const BasicCredentials& credentials);

  static constexpr size_t kCacheSize = 256;

 private:
  std::string CacheKey(const BasicCredentials& credentials, const std::string& hash) const;

  const std::map<std::string, std::string> users_;
  mutable std::mutex mutex_;
  std::unordered_set<std::string> verified_;  // cache keys
  std::deque<std::string> order_;             // oldest first, for eviction
};

}  // namespace errpulse
