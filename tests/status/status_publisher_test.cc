// StatusPublisher: the snapshot the pipeline takes every second, on a fake
// clock: recent windows from the 10 s ring, since start, all time, the
// sources, and the alerts (firing first, alertname out of the labels).
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include "engine/log_sources.h"
#include "engine/setup.h"
#include "status/status_publisher.h"
#include "support/test_support.h"

namespace errpulse {
namespace {

struct Fixture {
  Fixture() {
    Config config = DefaultConfig();
    config.sources = {{"rest", {"/nonexistent/rest.log"}}, {"sdk", {"/nonexistent/sdk/*.log"}}};
    config.alerting.host = "status-test";
    Diagnostics d;
    setup = Setup::Compile(std::move(config), &d);
    EXPECT_TRUE(setup) << d.size();
    counts.assign(2, SourceCounts(setup->catalog->size(), 100));
    sources = std::make_unique<SourceSet>(MakeLogSources(
        io, setup->config, [](size_t, std::string_view, const ChunkMeta&) {}, [] {}));
  }
  StatusPublisher Publisher() const {
    return StatusPublisher(setup->catalog, std::shared_ptr<const Config>(setup, &setup->config));
  }
  StatusInputs Inputs(const AlertDispatcher* alerting = nullptr) {
    return {counts, *sources, alerting, 0, false};
  }
  const CatalogEntry* Entry(int64_t code) const { return setup->catalog->Find(code); }
  void Errors(size_t source, int64_t code, int n) {
    for (int i = 0; i < n; ++i) counts[source].RecordError(*setup->catalog, code);
  }

  boost::asio::io_context io;
  std::shared_ptr<const Setup> setup;
  std::vector<SourceCounts> counts;
  std::unique_ptr<SourceSet> sources;
};

TEST(StatusPublisher, NothingBeforeTheFirstRefresh) {
  Fixture f;
  StatusPublisher publisher = f.Publisher();
  EXPECT_EQ(publisher.Latest(), nullptr);
}

TEST(StatusPublisher, RecentWindowsSinceStartAndTotals) {
  Fixture f;
  f.Errors(0, 60007, 1000);  // restored from the state file: all time, not recent
  StatusPublisher publisher = f.Publisher();
  const int64_t t0 = 1'800'000'000'000;
  // One refresh a second for 20 minutes; 60007 at 1 a second on rest, -1101
  // at 1 every 10 s on sdk during the last 2 minutes only.
  for (int64_t s = 1; s <= 1200; ++s) {
    f.Errors(0, 60007, 1);
    if (s > 1080 && s % 10 == 0) f.Errors(1, -1101, 1);
    publisher.Refresh(f.Inputs(), t0 + s * 1000);
  }
  const auto snapshot = publisher.Latest();
  ASSERT_NE(snapshot, nullptr);
  EXPECT_EQ(snapshot->host, "status-test");
  EXPECT_EQ(snapshot->counting_since_ms, t0 + 1000);
  ASSERT_EQ(snapshot->recent.size(), 2u);
  const RecentCodes& five = snapshot->recent[0];
  EXPECT_EQ(five.window_ms, 5 * 60'000);
  // Samples every 10 s: the base is the newest sample at or before now - 5 min.
  EXPECT_GE(five.covered_ms, 5 * 60'000);
  EXPECT_LT(five.covered_ms, 5 * 60'000 + 10'000);
  ASSERT_EQ(five.top.size(), 2u);
  EXPECT_EQ(five.top[0].code, "60007");
  EXPECT_EQ(five.top[0].count, static_cast<uint64_t>(five.covered_ms / 1000));
  EXPECT_EQ(five.top[1].code, "-1101");
  EXPECT_EQ(five.top[1].count, 12u);
  EXPECT_EQ(five.top[1].name, f.setup->catalog->Find(-1101)->name);
  const RecentCodes& fifteen = snapshot->recent[1];
  EXPECT_EQ(fifteen.top[0].count, static_cast<uint64_t>(fifteen.covered_ms / 1000));

  ASSERT_EQ(snapshot->domain_windows_ms.size(), 3u);
  const DomainCount* rest = nullptr;
  for (const auto& d : snapshot->domains)
    if (d.domain == "rest_common") rest = &d;
  ASSERT_NE(rest, nullptr);
  EXPECT_GE(rest->recent[0], 60u);  // last minute
  EXPECT_LT(rest->recent[0], 70u);
  EXPECT_EQ(rest->since_start, 1199u);  // the first refresh is the base
  EXPECT_EQ(rest->total, 2200u);

  ASSERT_EQ(snapshot->sources.size(), 2u);
  EXPECT_EQ(snapshot->sources[0].name, "rest");
  EXPECT_EQ(snapshot->sources[0].errors, 2200u);
  EXPECT_EQ(snapshot->sources[1].patterns, std::vector<std::string>{"/nonexistent/sdk/*.log"});
  EXPECT_TRUE(snapshot->alerts.empty());
  EXPECT_EQ(snapshot->alert_rules, 0u);
}

TEST(StatusPublisher, AlertsFiringFirstWithTheirLabels) {
  Fixture f;
  std::vector<AlertRule> rules = f.setup->alerts;  // the shipped rules
  ASSERT_FALSE(rules.empty());
  AlertDispatcher alerting(rules, f.setup->catalog, "status-test", 60'000, {});
  const int64_t t0 = 1'800'000'000'000;
  Match match;
  match.code = 60007;
  for (int i = 0; i < 60; ++i) alerting.Observe("rest", match, f.Entry(match.code), t0);
  alerting.Tick(t0);            // RestApiRateLimited: pending
  alerting.Tick(t0 + 31'000);   // for: 30s -> firing
  match.code = 60011;
  for (int i = 0; i < 60; ++i) alerting.Observe("rest", match, f.Entry(match.code), t0 + 31'000);
  alerting.Tick(t0 + 32'000);   // SdkAppIdRateLimited: pending
  StatusPublisher publisher = f.Publisher();
  publisher.Refresh(f.Inputs(&alerting), t0 + 32'000);
  const auto snapshot = publisher.Latest();
  // Also RateLimitSurge (120 rate-limit errors) goes pending.
  ASSERT_GE(snapshot->alerts.size(), 2u);
  EXPECT_EQ(snapshot->alerts[0].alertname, "RestApiRateLimited");
  EXPECT_EQ(snapshot->alerts[0].state, "firing");
  EXPECT_EQ(snapshot->alerts[0].since_ms, t0);
  EXPECT_EQ(snapshot->alerts[0].count, 60u);
  EXPECT_EQ(snapshot->alerts[0].labels.count("alertname"), 0u);
  EXPECT_EQ(snapshot->alerts[0].labels.at("code"), "60007");
  EXPECT_EQ(snapshot->alerts[0].labels.at("host"), "status-test");
  EXPECT_NE(snapshot->alerts[0].annotations.at("summary").find("60007"), std::string::npos);
  bool sdk_app_id_pending = false;
  for (size_t i = 1; i < snapshot->alerts.size(); ++i) {
    EXPECT_EQ(snapshot->alerts[i].state, "pending") << snapshot->alerts[i].alertname;
    sdk_app_id_pending |= snapshot->alerts[i].alertname == "SdkAppIdRateLimited";
  }
  EXPECT_TRUE(sdk_app_id_pending);
  EXPECT_EQ(snapshot->alert_rules, rules.size());
}

TEST(StatusPublisher, PerMinuteSeriesForTopCodesAndAlerts) {
  Fixture f;
  std::vector<AlertRule> rules = f.setup->alerts;  // the shipped rules
  AlertDispatcher alerting(rules, f.setup->catalog, "status-test", 60'000, {});
  StatusPublisher publisher = f.Publisher();
  const int64_t t0 = 1'800'000'000'000 / 60'000 * 60'000;
  const int64_t m0 = t0 / 60'000;
  Match match;
  match.code = 60007;
  // Minute 0: 30 on rest; minute 1: 100 on rest and 5 on sdk (away from the
  // minutes' edges: a minute ends at the first refresh after it).
  for (int64_t s = 0; s <= 125; ++s) {
    const int64_t now = t0 + s * 1000;
    const int n = s >= 10 && s < 40 ? 1 : s >= 65 && s < 115 ? 2 : 0;
    f.Errors(0, 60007, n);
    for (int i = 0; i < n; ++i) alerting.Observe("rest", match, f.Entry(60007), now);
    if (s >= 70 && s < 75) f.Errors(1, 60007, 1);
    alerting.Tick(now);
    publisher.Refresh(f.Inputs(&alerting), now);
  }
  const auto snapshot = publisher.Latest();
  EXPECT_EQ(snapshot->per_minute_last, m0 + 2);
  const CodeCount& top = snapshot->recent[1].top.at(0);
  ASSERT_EQ(top.code, "60007");
  ASSERT_EQ(top.per_minute.size(), 60u);
  EXPECT_EQ(top.per_minute[57], 30u);
  EXPECT_EQ(top.per_minute[58], 105u);
  EXPECT_EQ(top.per_minute[59], 0u);
  EXPECT_EQ(top.per_minute[0], 0u);
  const AlertStatus* rest_alert = nullptr;
  for (const auto& a : snapshot->alerts)
    if (a.alertname == "RestApiRateLimited") rest_alert = &a;
  ASSERT_NE(rest_alert, nullptr);
  EXPECT_EQ(rest_alert->state, "firing");
  ASSERT_EQ(rest_alert->per_minute.size(), 60u);
  EXPECT_EQ(rest_alert->per_minute[57], 30u);
  EXPECT_EQ(rest_alert->per_minute[58], 100u);  // by source: sdk's 5 are another instance's

  // What a commit saves, restored into a new publisher (a restart), goes on.
  StatusPublisher restarted = f.Publisher();
  restarted.RestoreMinutes(publisher.minutes().Saved(/*with_current=*/true));
  restarted.Refresh(f.Inputs(), t0 + 126'000);
  f.Errors(0, 60007, 4);
  restarted.Refresh(f.Inputs(), t0 + 127'000);
  const auto after = restarted.Latest();
  const auto& series = after->recent[1].top.at(0).per_minute;
  EXPECT_EQ(series[57], 30u);
  EXPECT_EQ(series[58], 105u);
  EXPECT_EQ(series[59], 4u);
}

}  // namespace
}  // namespace errpulse
