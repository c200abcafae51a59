// See basic_auth.h: what this is, ownership and thread-safety.
#include "http/basic_auth.h"

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <cctype>
#include <cstring>
#include <memory>

namespace errpulse {
namespace {

constexpr size_t kBcryptLength = 60;  // "$2b$10$" + 22 salt + 31 digest characters

bool IsBcryptBase64(char c) {
  return c == '.' || c == '/' || std::isalnum(static_cast<unsigned char>(c));
}

// Strict standard base64 (with padding), as Go's base64.StdEncoding.
std::optional<std::string> DecodeBase64(std::string_view text) {
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    uint32_t group = 0;
    int padding = 0;
    for (size_t j = 0; j < 4; ++j) {
      const char c = text[i + j];
      uint32_t value = 0;
      if (c == '=') {
        // Padding only at the very end, and at most two.
        if (i + 4 != text.size() || j < 2) return std::nullopt;
        ++padding;
      } else {
        if (padding > 0) return std::nullopt;
        const size_t at = kAlphabet.find(c);
        if (at == std::string_view::npos) return std::nullopt;
        value = static_cast<uint32_t>(at);
      }
      group = group << 6 | value;
    }
    out.push_back(static_cast<char>(group >> 16 & 0xff));
    if (padding < 2) out.push_back(static_cast<char>(group >> 8 & 0xff));
    if (padding < 1) out.push_back(static_cast<char>(group & 0xff));
  }
  return out;
}

}  // namespace

std::string BcryptHashProblem(const std::string& hash) {
  if (hash.rfind("$2a$", 0) != 0 && hash.rfind("$2b$", 0) != 0 && hash.rfind("$2y$", 0) != 0)
    return "not a bcrypt hash (one starts with $2a$, $2b$ or $2y$; make it with "
           "htpasswd -nBC 10 \"\" | tr -d ':\\n')";
  if (hash.size() != kBcryptLength || hash[6] != '$' || !std::isdigit(static_cast<unsigned char>(hash[4])) ||
      !std::isdigit(static_cast<unsigned char>(hash[5])))
    return "malformed bcrypt hash (expected 60 characters: $2y$CC$ and 53 more)";
  const int cost = (hash[4] - '0') * 10 + (hash[5] - '0');
  if (cost < 4 || cost > 31) return "bcrypt cost must be between 04 and 31";
  for (size_t i = 7; i < hash.size(); ++i)
    if (!IsBcryptBase64(hash[i])) return "malformed bcrypt hash (invalid character)";
  return "";
}

bool VerifyBcrypt(std::string_view password, const std::string& hash) {
  if (!BcryptHashProblem(hash).empty()) return false;
  if (password.find('\0') != std::string_view::npos) return false;
  const std::string phrase(password);
  auto data = std::make_unique<crypt_data>();  // ~32 KiB: not on the stack
  const char* out = ::crypt_rn(phrase.c_str(), hash.c_str(), data.get(), sizeof(crypt_data));
  if (out == nullptr || std::strlen(out) != hash.size()) return false;
  return CRYPTO_memcmp(out, hash.data(), hash.size()) == 0;
}

std::optional<BasicCredentials> ParseBasicAuthorization(std::string_view header) {
  constexpr std::string_view kScheme = "basic ";
  if (header.size() < kScheme.size()) return std::nullopt;
  for (size_t i = 0; i < kScheme.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(header[i])) != kScheme[i]) return std::nullopt;
  auto decoded = DecodeBase64(header.substr(kScheme.size()));
  if (!decoded) return std::nullopt;
  const size_t colon = decoded->find(':');
  if (colon == std::string::npos) return std::nullopt;
  return BasicCredentials{decoded->substr(0, colon), decoded->substr(colon + 1)};
}

BasicAuthenticator::BasicAuthenticator(std::map<std::string, std::string> users)
    : users_(std::move(users)) {}

std::string BasicAuthenticator::CacheKey(const BasicCredentials& credentials,
                                         const std::string& hash) const {
  // Length-prefixed, so no two (user, password) pairs share an input.
  const std::string input = std::to_string(credentials.user.size()) + ':' + credentials.user +
                            hash + credentials.password;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(input.data(), input.size(), digest, &length, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<const char*>(digest), length);
}

bool BasicAuthenticator::IsVerified(const BasicCredentials& credentials) const {
  auto user = users_.find(credentials.user);
  if (user == users_.end()) return false;
  const std::string key = CacheKey(credentials, user->second);
  std::lock_guard<std::mutex> lock(mutex_);
  return verified_.count(key) != 0;
}

bool BasicAuthenticator::Verify(const BasicCredentials& credentials) {
  if (users_.empty()) return false;
  auto user = users_.find(credentials.user);
  if (user == users_.end()) {
    VerifyBcrypt(credentials.password, users_.begin()->second);  // same cost, result unused
    return false;
  }
  if (!VerifyBcrypt(credentials.password, user->second)) return false;
  std::string key = CacheKey(credentials, user->second);
  std::lock_guard<std::mutex> lock(mutex_);
  if (verified_.insert(key).second) {
    order_.push_back(std::move(key));
    if (order_.size() > kCacheSize) {
      verified_.erase(order_.front());
      order_.pop_front();
    }
  }
  return true;
}

}  // namespace errpulse
