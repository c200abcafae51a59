// The shipped catalog: complete against the SDK document, consistent
// vocabularies; and the loader's error reporting.
#include <gtest/gtest.h>

#include <set>

#include "classify/catalog.h"
#include "support/shipped_data.h"
#include "support/test_support.h"

namespace errpulse {
namespace {

// The codes of the SDK error-code document (../shared/reference), corrected.
const std::vector<int64_t>& DocumentCodes() {
  static const std::vector<int64_t> codes = {
      -1, -2, -3, -1000, -1001, -1002, -1003, -1004, -1100, -1101, -1102, -1103, -1104,
      -1105, -1106, -1107, -1108, -1109, -2101, -2102, -2103, -2105, -2107, -2108, -2200,
      -2300, -2301, -2310, -2311, -2312, -2340, -2344, -2360, -2361, -2370, -2371, -2372,
      -2373, -2380, -2381, -4001,
      60002, 60003, 60004, 60005, 60006, 60007, 60008, 60009, 60010, 60011, 60012, 60013,
      60014, 60015, 60016, 60017, 60018, 60019, 60020, 60021,
      100001, 100002, 100003, 100004, 100005, 100006, 100007, 100008, 100009, 100010,
      100011, 100012, 100013, 100015, 100016, 100017, 100018, 100019, 100020, 100102,
      100200, 100201, 100202, 100203, 100204, 100205, 100206, 100210, 100211, 100251,
      100400, 100401, 100402, 100403, 100404, 100405, 100411, 100412, 100413, 100414,
      100415, 100416, 100419, 100420, 100421, 100500, 100501, 100502, 100503, 100504};
  return codes;
}

TEST(ShippedCatalog, ListsEveryCodeOfTheDocument) {
  auto catalog = testing::ShippedCatalog();
  ASSERT_TRUE(catalog);
  EXPECT_EQ(DocumentCodes().size(), 41u + 20u + 50u);  // the 42 client rows include 0
  for (int64_t code : DocumentCodes()) {
    const CatalogEntry* e = catalog->Find(code);
    ASSERT_NE(e, nullptr) << code;
    EXPECT_EQ(e->origin, "document") << code;
    EXPECT_FALSE(e->name.empty());
    EXPECT_FALSE(e->meaning_en.empty());
    EXPECT_FALSE(e->meaning_zh.empty());
    EXPECT_FALSE(e->action.empty());
  }
  EXPECT_EQ(catalog->Find(0), nullptr) << "0 is success, not an error";
}

TEST(ShippedCatalog, ListsTheNewerAndLegacyCodesOfCodeNames) {
  auto catalog = testing::ShippedCatalog();
  for (int64_t code : {-2100, -2104, -2106, -2201, -2313, -2341, -2342, -2343, -2345, -2346,
                       -2347, -4, -1005, -1110, -1200, -1201, -1202, -1203, -1300, -1301,
                       -1302, -1303, -6001, 100253, 100427, 100430, 100431, 102001, 102002,
                       102004}) {
    const CatalogEntry* e = catalog->Find(code);
    ASSERT_NE(e, nullptr) << code;
    EXPECT_TRUE(e->origin == "legacy" || e->origin == "newer") << code;
  }
}

TEST(ShippedCatalog, RateLimitCodesAndOfficialNames) {
  auto catalog = testing::ShippedCatalog();
  for (int64_t code : {-2, 60007, 60011, 60018, 60019, 100012})
    EXPECT_EQ(catalog->Find(code)->category, "rate_limit") << code;
  EXPECT_EQ(catalog->Find(-2)->name, "ERR_FREQ_LIMIT");
  EXPECT_EQ(catalog->Find(100003)->name, "ERR_ROOM_ID_OCCUPIED");
  EXPECT_EQ(catalog->Find(60007)->name, "RestApiError.REST_API_RATE_LIMITED");
  EXPECT_EQ(catalog->Find(100001)->domain, "server_room");
  EXPECT_EQ(catalog->Find(100102)->domain, "server_signalling");
  EXPECT_EQ(catalog->Find(-1101)->domain, "client_device");
  EXPECT_EQ(catalog->Find(-4001)->domain, "client_preload");
}

TEST(RangeDomain, ClassifiesUncataloguedCodes) {
  EXPECT_EQ(RangeDomain(-10003), "client");
  EXPECT_EQ(RangeDomain(65535), "rest_common");
  EXPECT_EQ(RangeDomain(79999), "rest_common");
  EXPECT_EQ(RangeDomain(80000), "unknown");
  EXPECT_EQ(RangeDomain(102003), "server");
  EXPECT_EQ(RangeDomain(6206), "unknown");
}

TEST(CatalogLoader, ReportsFileLineAndColumn) {
  Diagnostics d;
  auto catalog = Catalog::FromString(R"(codes:
  - code: 5
    name: "X"
    domain: client_nowhere
    category: rate_limit
    severity: error
    retryable: true
    meaning_en: "a"
    meaning_zh: "b"
    action: "c"
    colour: red
  - code: 5
    name: "Y"
)", "site.yaml", &d);
  EXPECT_FALSE(catalog);
  const std::string all = FormatDiagnostics(d);
  EXPECT_NE(all.find("site.yaml:4:13: domain 'client_nowhere' is not one of"), std::string::npos)
      << all;
  EXPECT_NE(all.find("site.yaml:11:5: unknown key 'colour' in catalog entry"), std::string::npos)
      << all;
  EXPECT_NE(all.find("site.yaml:12:5: catalog entry is missing 'domain'"), std::string::npos)
      << all;
}

TEST(CatalogLoader, LaterFilesOverrideEarlierOnes) {
  testing::TempDir dir;
  const std::string entry = R"(
    domain: client_general
    category: internal
    severity: error
    retryable: false
    meaning_en: "a"
    meaning_zh: "b"
    action: "c"
)";
  testing::WriteFile(dir.File("a.yaml"), "codes:\n  - code: -9\n    name: \"A\"" + entry);
  testing::WriteFile(dir.File("b.yaml"), "codes:\n  - code: -9\n    name: \"B\"" + entry);
  Diagnostics d;
  auto catalog = Catalog::Load({dir.File("a.yaml"), dir.File("b.yaml")}, &d);
  ASSERT_TRUE(catalog) << FormatDiagnostics(d);
  EXPECT_EQ(catalog->Find(-9)->name, "B");
  EXPECT_EQ(catalog->Find(-9)->origin, "site");
}

}  // namespace
}  // namespace errpulse
