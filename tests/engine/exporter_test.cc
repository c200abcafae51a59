// Exporter: the exposition carries exactly the pipeline's counts, with the
// documented names and labels; publishing twice does not double-count.
#include <gtest/gtest.h>

#include "metrics/exporter.h"
#include "support/test_support.h"

namespace errpulse {
namespace {

TEST(Exporter, PublishesExactCountsWithLabels) {
  Diagnostics d;
  auto catalog = Catalog::Load({testing::SourcePath("data/catalog.yaml")}, &d);
  ASSERT_TRUE(catalog);
  Exporter exporter(catalog, {"rest"});
  SourceCounts counts(catalog->size(), 1);
  counts.lines = 10;
  counts.successes = 3;
  counts.RecordError(*catalog, 60007);
  counts.RecordError(*catalog, 60007);
  counts.RecordError(*catalog, 8010);
  counts.RecordError(*catalog, 8011);  // over the cap of 1
  exporter.Publish(0, counts);
  exporter.Publish(0, counts);  // idempotent
  const std::string text = exporter.Scrape();
  using testing::MetricValue;
  EXPECT_EQ(MetricValue(text, "errpulse_lines_total", {"source=\"rest\""}), 10);
  EXPECT_EQ(MetricValue(text, "errpulse_successes_total", {"source=\"rest\""}), 3);
  EXPECT_EQ(MetricValue(text, "errpulse_errors_total",
                        {"code=\"60007\"", "domain=\"rest_common\"", "category=\"rate_limit\""}),
            2);
  EXPECT_EQ(MetricValue(text, "errpulse_errors_total",
                        {"code=\"8010\"", "domain=\"unknown\"", "category=\"unknown\""}),
            1);
  EXPECT_EQ(MetricValue(text, "errpulse_errors_total", {"code=\"other\"", "domain=\"unknown\""}),
            1);
  EXPECT_EQ(MetricValue(text, "errpulse_errors_total"), 4);
  EXPECT_EQ(MetricValue(text, "errpulse_unknown_codes_total"), 2);
  EXPECT_EQ(MetricValue(text, "errpulse_code_info",
                        {"code=\"60007\"", "name=\"RestApiError.REST_API_RATE_LIMITED\""}),
            1);
  EXPECT_EQ(MetricValue(text, "errpulse_build_info"), 1);
  // Every catalogued code is there from the start, at 0.
  EXPECT_NE(text.find("errpulse_errors_total{category=\"internal\",code=\"100001\",domain=\"server_room\",source=\"rest\"} 0"),
            std::string::npos);
}

}  // namespace
}  // namespace errpulse
