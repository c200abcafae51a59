// SeriesIndex and Sparkline: the charts' numbers per code (all sources) and
// per alert instance (what its rule's match and `by` labels select), and the
// inline SVG drawn from them: one point per minute, y scaled to the peak,
// the peak and its minute in the tooltip, nothing external.
#include <gtest/gtest.h>

#include <regex>

#include "status/html_text.h"
#include "status/minute_series.h"
#include "status/sparkline.h"
#include "support/shipped_data.h"

namespace errpulse {
namespace {

constexpr int64_t kLast = 30'000'000;  // the current minute

MinuteCounts Minute(int64_t minute, std::vector<MinuteCount> counts) {
  return {minute, std::move(counts), 0};
}

struct Series {
  std::vector<MinuteCounts> minutes = {
      Minute(kLast - 59, {{"rest", "60007", 5}}),
      Minute(kLast - 60, {{"rest", "60007", 1000}}),  // an hour ago: out of the window
      Minute(kLast - 2, {{"rest", "60007", 7}, {"sdk", "-1101", 2}, {"sdk", "60007", 1}}),
      Minute(kLast, {{"rest", "60011", 3}, {"sdk", "other:client_common", 4}}),
  };
  std::vector<const MinuteCounts*> Window() const {
    std::vector<const MinuteCounts*> w;
    for (const auto& m : minutes) w.push_back(&m);
    return w;
  }
};

TEST(SeriesIndex, ACodesSeriesSumsItsSourcesPerMinute) {
  Series s;
  const SeriesIndex index(s.Window(), kLast);
  const auto series = index.ForCode("60007");
  ASSERT_EQ(series.size(), static_cast<size_t>(MinuteRing::kMinutes));
  EXPECT_EQ(series[0], 5u);
  EXPECT_EQ(series[57], 8u);
  EXPECT_EQ(series[59], 0u);
  uint64_t sum = 0;
  for (uint64_t v : series) sum += v;
  EXPECT_EQ(sum, 13u);
  EXPECT_EQ(index.ForCode("other:client_common")[59], 4u);
  EXPECT_EQ(index.ForCode("12345"), std::vector<uint64_t>(MinuteRing::kMinutes, 0));
}

TEST(SeriesIndex, AnAlertsSeriesIsWhatItsMatchAndByLabelsSelect) {
  auto catalog = testing::ShippedCatalog();
  Series s;
  const SeriesIndex index(s.Window(), kLast);
  AlertMatch rate_limit;
  rate_limit.codes = {60007, 60011};
  // by: [code, source] -> the instance code=60007, source=rest.
  auto rest_60007 = index.ForAlert(*catalog, {&rate_limit}, {"code", "source"},
                                   {{"code", "60007"}, {"source", "rest"}, {"severity", "page"}});
  EXPECT_EQ(rest_60007[0], 5u);
  EXPECT_EQ(rest_60007[57], 7u);
  EXPECT_EQ(rest_60007[59], 0u);
  // by: [source] -> every matched code of sdk.
  auto sdk = index.ForAlert(*catalog, {&rate_limit}, {"source"}, {{"source", "sdk"}});
  EXPECT_EQ(sdk[57], 1u);
  EXPECT_EQ(sdk[59], 0u);  // the folded codes have no code: a rule naming codes skips them
  // No by, and a second condition over the same pairs: counted once.
  AlertMatch all;
  auto everything = index.ForAlert(*catalog, {&rate_limit, &all}, {}, {});
  EXPECT_EQ(everything[57], 10u);
  EXPECT_EQ(everything[59], 7u);
  // Sources in the match.
  AlertMatch sdk_only;
  sdk_only.sources = {"sdk"};
  EXPECT_EQ(index.ForAlert(*catalog, {&sdk_only}, {}, {})[57], 3u);
}

TEST(Sparkline, OnePointPerMinuteScaledToThePeak) {
  std::vector<uint64_t> counts(60, 0);
  counts[10] = 40;
  counts[59] = 10;
  const int64_t last = 1'800'000'000'000 / 60'000;
  const std::string svg = Sparkline(counts, last);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(svg, m, std::regex("<polyline points=\"([^\"]*)\"")));
  std::vector<std::pair<double, double>> points;
  const std::string list = m[1];
  std::regex pair_re("(-?[0-9.]+),(-?[0-9.]+)");
  for (auto it = std::sregex_iterator(list.begin(), list.end(), pair_re);
       it != std::sregex_iterator(); ++it)
    points.emplace_back(std::stod((*it)[1]), std::stod((*it)[2]));
  ASSERT_EQ(points.size(), 60u);
  for (size_t i = 0; i < 60; ++i) {
    EXPECT_DOUBLE_EQ(points[i].first, kSparkLeft + static_cast<double>(i) * kSparkStep);
    const double expected =
        kSparkBottom - static_cast<double>(counts[i]) / 40.0 * (kSparkBottom - kSparkTop);
    EXPECT_NEAR(points[i].second, expected, 0.051) << i;  // one decimal
  }
  EXPECT_NE(svg.find("data-counts=\"0,0,0,0,0,0,0,0,0,0,40,"), std::string::npos);
  const std::string peak_minute = DisplayTime((last - 49) * 60'000).substr(11, 5);  // HH:MM
  EXPECT_NE(svg.find("peak 40 at " + peak_minute), std::string::npos) << svg;
  EXPECT_NE(svg.find("last minute 10"), std::string::npos);
  EXPECT_NE(svg.find("role=\"img\" aria-label=\"Errors per minute"), std::string::npos);
  EXPECT_NE(svg.find("<title>"), std::string::npos);
  EXPECT_EQ(svg.find("http"), std::string::npos);
  EXPECT_EQ(svg.find("script"), std::string::npos);
}

TEST(Sparkline, NoErrorsIsAFlatLineAndAMarkWithinTheHour) {
  const int64_t last = 1'800'000'000'000 / 60'000;
  const std::string flat = Sparkline(std::vector<uint64_t>(60, 0), last);
  EXPECT_NE(flat.find("No errors per minute"), std::string::npos);
  EXPECT_EQ(flat.find("<polygon"), std::string::npos);
  EXPECT_EQ(flat.find("class=\"mark\""), std::string::npos);
  std::vector<uint64_t> one(60, 0);
  one[59] = 1;
  EXPECT_NE(Sparkline(one, last, (last - 5) * 60'000 + 10).find("class=\"mark\" x1=\"136.0\""),
            std::string::npos);  // 1 + 54 * 2.5
  EXPECT_EQ(Sparkline(one, last, (last - 60) * 60'000).find("class=\"mark\""), std::string::npos);
}

}  // namespace
}  // namespace errpulse
