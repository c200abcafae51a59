// AlertDispatcher::Observe: what reaches the engine. Successes must reach
// ratio rules (their totals), and are skipped when no rule is a ratio rule.
#include "alert/dispatcher.h"

#include <gtest/gtest.h>

#include "support/alert_rules.h"
#include "support/shipped_data.h"

namespace errpulse {
namespace {

size_t Active(const AlertDispatcher& alerting) { return alerting.ActiveAlerts().size(); }

// 20 errors among 2,020 responses are 1%, under the 5% the rule pages at; if
// the successes did not reach it, 20 of 20 would be 100% and it would fire.
TEST(AlertDispatcher, SuccessesReachRatioRules) {
  const auto catalog = testing::ShippedCatalog();
  AlertDispatcher alerting(testing::AlertRulesFromYaml(R"(- alert: R
  match: { sources: [rest] }
  window: 1m
  ratio: { above: 0.05, min_total: 10 }
)"),
                           catalog, "test", 60'000, {});
  const int64_t t0 = 1'800'000'000'000;
  Match success, error;
  success.code = 0;
  error.code = 60007;
  const CatalogEntry* entry = catalog->Find(error.code);  // what counting hands on
  for (int i = 0; i < 2000; ++i) alerting.Observe("rest", success, nullptr, t0);
  for (int i = 0; i < 20; ++i) alerting.Observe("rest", error, entry, t0);
  alerting.Tick(t0 + 1'000);
  EXPECT_EQ(Active(alerting), 0u) << "1% of the responses failed";
  for (int i = 0; i < 200; ++i) alerting.Observe("rest", error, entry, t0 + 1'000);
  alerting.Tick(t0 + 2'000);
  EXPECT_EQ(Active(alerting), 1u) << "220 of 2,220 failed: 9.9%";
}

// Without ratio rules the successes change nothing: a threshold rule fires on
// its errors alone, however many successes come between them.
TEST(AlertDispatcher, ThresholdRuleIgnoresSuccesses) {
  const auto catalog = testing::ShippedCatalog();
  AlertDispatcher alerting(testing::AlertRulesFromYaml("- alert: A\n  match: { codes: [60007] }\n  window: 1m\n"
                                 "  threshold: 3\n"),
                           catalog, "test", 60'000, {});
  const int64_t t0 = 1'800'000'000'000;
  Match success, error;
  error.code = 60007;
  for (int i = 0; i < 3; ++i) {
    alerting.Observe("rest", error, catalog->Find(error.code), t0);
    for (int k = 0; k < 1000; ++k) alerting.Observe("rest", success, nullptr, t0);
  }
  alerting.Tick(t0 + 1'000);
  ASSERT_EQ(Active(alerting), 1u);
  EXPECT_EQ(alerting.ActiveAlerts()[0].count, 3u);
}

}  // namespace
}  // namespace errpulse
