// Basic auth: bcrypt through libcrypt against hashes made by other
// implementations, the Authorization header, the cache of verified
// credentials, and the rate limiter.
#include "http/basic_auth.h"

#include <gtest/gtest.h>

#include "http/rate_limiter.h"
#include "support/test_support.h"

namespace errpulse {
namespace {

namespace t = errpulse::testing;

// "correct horse" at cost 04, made three ways (none of them errpulse):
//   $2y$: htpasswd -nbB -C 4 alice 'correct horse'   (Debian apache2-utils)
//   $2b$: python3 -c "import crypt; print(crypt.crypt('correct horse',
//           crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16)))"
//   $2a$: the same with the salt's prefix changed to $2a$04$
constexpr const char* kHash2y = "$2y$04$bxS42ikFUUQig0Q2KTmseOGR7egWz8Jb/TDMgXWSJ0bi1EFdOJa4G";
constexpr const char* kHash2b = "$2b$04$H756Z0hFR2PT/WreV4qu0.qAzl.IG0hLzCCjfeceAl3U6M9RVCUNS";
constexpr const char* kHash2a = "$2a$04$EjD5E/vsgmYm2VcU4mBHyeOCBE63oagR2nraKwo6rjbA0IztS6fSm";

TEST(Bcrypt, VerifiesHashesFromOtherImplementations) {
  for (const char* hash : {kHash2y, kHash2b, kHash2a}) {
    EXPECT_EQ(BcryptHashProblem(hash), "") << hash;
    EXPECT_TRUE(VerifyBcrypt("correct horse", hash)) << hash;
    EXPECT_FALSE(VerifyBcrypt("correct horse ", hash)) << hash;
    EXPECT_FALSE(VerifyBcrypt("Correct horse", hash)) << hash;
    EXPECT_FALSE(VerifyBcrypt("", hash)) << hash;
  }
}

TEST(Bcrypt, HashMadeByHtpasswdNow) {
  auto r = t::RunCommand({"/usr/bin/htpasswd", "-nbB", "-C", "5", "scraper", "p@ss:w0rd é"});
  ASSERT_EQ(r.status, 0) << "htpasswd (apache2-utils) is needed: " << r.err;
  const std::string line = r.out.substr(0, r.out.find('\n'));
  const std::string hash = line.substr(line.find(':') + 1);
  EXPECT_EQ(BcryptHashProblem(hash), "") << hash;
  EXPECT_TRUE(VerifyBcrypt("p@ss:w0rd é", hash));
  EXPECT_FALSE(VerifyBcrypt("p@ss:w0rd e", hash));
}

TEST(Bcrypt, APasswordWithANulByteNeverPasses) {
  // libcrypt would stop at the NUL and see "correct horse".
  EXPECT_FALSE(VerifyBcrypt(std::string("correct horse\0extra", 19), kHash2y));
}

TEST(Bcrypt, MalformedHashesNeverPass) {
  EXPECT_FALSE(VerifyBcrypt("correct horse", ""));
  EXPECT_FALSE(VerifyBcrypt("correct horse", "correct horse"));
  EXPECT_FALSE(VerifyBcrypt("correct horse", std::string(kHash2y).substr(0, 59)));
  EXPECT_NE(BcryptHashProblem("$1$abcdefgh$"), "");
  EXPECT_NE(BcryptHashProblem("$2x$04$bxS42ikFUUQig0Q2KTmseOGR7egWz8Jb/TDMgXWSJ0bi1EFdOJa4G"), "");
}

TEST(BasicAuthorization, ParsesLikeGo) {
  // "alice:correct horse", "bob:" and "carol:a:b" in base64.
  auto alice = ParseBasicAuthorization("Basic YWxpY2U6Y29ycmVjdCBob3JzZQ==");
  ASSERT_TRUE(alice);
  EXPECT_EQ(alice->user, "alice");
  EXPECT_EQ(alice->password, "correct horse");
  auto lower = ParseBasicAuthorization("basic Ym9iOg==");
  ASSERT_TRUE(lower);
  EXPECT_EQ(lower->user, "bob");
  EXPECT_EQ(lower->password, "");
  auto colon = ParseBasicAuthorization("BASIC Y2Fyb2w6YTpi");
  ASSERT_TRUE(colon);
  EXPECT_EQ(colon->user, "carol");
  EXPECT_EQ(colon->password, "a:b");
  for (const char* bad : {"", "Basic", "Basic ", "Bearer YWxpY2U6eA==", "Basic YWxpY2U",
                          "Basic YWxpY2U6eA=", "Basic YWxp=2U6", "Basic !!!!", "Basic YWxpY2U="})
    EXPECT_FALSE(ParseBasicAuthorization(bad)) << bad;
}

TEST(BasicAuthenticator, CachesSuccessesOnly) {
  BasicAuthenticator auth(std::map<std::string, std::string>{{"alice", kHash2y}});
  const BasicCredentials right{"alice", "correct horse"};
  const BasicCredentials wrong{"alice", "wrong"};
  const BasicCredentials stranger{"mallory", "correct horse"};
  EXPECT_FALSE(auth.IsVerified(right));
  EXPECT_FALSE(auth.Verify(wrong));
  EXPECT_FALSE(auth.IsVerified(wrong));
  EXPECT_FALSE(auth.Verify(stranger));
  EXPECT_FALSE(auth.IsVerified(stranger));
  EXPECT_TRUE(auth.Verify(right));
  EXPECT_TRUE(auth.IsVerified(right));
  EXPECT_FALSE(auth.IsVerified(wrong));
}

TEST(BasicAuthenticator, CacheIsBoundedOldestOut) {
  std::map<std::string, std::string> users;
  const size_t count = BasicAuthenticator::kCacheSize + 1;
  for (size_t i = 0; i < count; ++i) users["user" + std::to_string(i)] = kHash2b;
  BasicAuthenticator auth(users);
  for (size_t i = 0; i < count; ++i)
    ASSERT_TRUE(auth.Verify({"user" + std::to_string(i), "correct horse"}));
  EXPECT_FALSE(auth.IsVerified({"user0", "correct horse"}));
  EXPECT_TRUE(auth.IsVerified({"user1", "correct horse"}));
  EXPECT_TRUE(auth.IsVerified({"user" + std::to_string(count - 1), "correct horse"}));
}

TEST(BasicAuthenticator, NoUsersLetsNobodyIn) {
  BasicAuthenticator auth(std::map<std::string, std::string>{});
  EXPECT_FALSE(auth.Verify({"", ""}));
}

TEST(RateLimiter, StartsFullThenRefusesUntilATokenIsEarned) {
  RateLimiter limiter(std::chrono::hours(1), 2);
  EXPECT_TRUE(limiter.Allow());
  EXPECT_TRUE(limiter.Allow());
  EXPECT_FALSE(limiter.Allow());
  RateLimiter fast(std::chrono::nanoseconds(1), 1);
  EXPECT_TRUE(fast.Allow());
  EXPECT_TRUE(t::WaitFor([&] { return fast.Allow(); }));
}

}  // namespace
}  // namespace errpulse
