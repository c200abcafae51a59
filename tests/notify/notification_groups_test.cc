// Alertmanager-style grouping for direct receivers: one message per group,
// group_wait / group_interval / repeat_interval, resolve messages closing
// what was opened.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "notify/notification_groups.h"

namespace errpulse {
namespace {

constexpr int64_t kT0 = 1'000'000;

GroupedAlert Alert(const std::string& alertname, int code, bool resolved = false) {
  GroupedAlert a;
  a.key = alertname + "/" + std::to_string(code);
  a.alert.labels = {{"alertname", alertname}, {"code", std::to_string(code)}, {"host", "h"}};
  a.alert.resolved = resolved;
  return a;
}

std::vector<GroupedAlert> Surge(int codes, bool resolved = false) {
  std::vector<GroupedAlert> alerts;
  for (int c = 0; c < codes; ++c) alerts.push_back(Alert("RestApiRateLimited", 60000 + c, resolved));
  return alerts;
}

GroupingConfig Config(std::vector<std::string> group_by = {}) {
  GroupingConfig c;
  c.group_by = std::move(group_by);
  c.group_wait_ms = 10'000;
  c.group_interval_ms = 60'000;
  c.repeat_interval_ms = 3600'000;
  return c;
}

TEST(NotificationGroups, AFortyCodeSurgeIsOneMessageAfterGroupWait) {
  NotificationGroups groups(Config());
  // The surge builds up over a few evaluations.
  EXPECT_TRUE(groups.Tick(kT0, Surge(10)).empty());
  EXPECT_TRUE(groups.Tick(kT0 + 2'000, Surge(30)).empty());
  EXPECT_TRUE(groups.Tick(kT0 + 9'999, Surge(40)).empty());
  auto due = groups.Tick(kT0 + 10'000, Surge(40));
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].size(), 40u);
  // Nothing changed: nothing more until repeat_interval.
  for (int64_t t = kT0 + 11'000; t < kT0 + 10'000 + 3600'000; t += 60'000)
    EXPECT_TRUE(groups.Tick(t, Surge(40)).empty()) << t;
  EXPECT_EQ(groups.Tick(kT0 + 10'000 + 3600'000, Surge(40)).size(), 1u);
}

TEST(NotificationGroups, ChangesWaitForGroupIntervalAndTheResolveClosesTheGroup) {
  NotificationGroups groups(Config());
  ASSERT_EQ(groups.Tick(kT0 + 10'000, Surge(5)).size(), 0u);  // created now
  ASSERT_EQ(groups.Tick(kT0 + 20'000, Surge(5)).size(), 1u);
  // Two more codes a moment later: in the next message, a group_interval on.
  EXPECT_TRUE(groups.Tick(kT0 + 30'000, Surge(7)).empty());
  auto more = groups.Tick(kT0 + 80'000, Surge(7));
  ASSERT_EQ(more.size(), 1u);
  EXPECT_EQ(more[0].size(), 7u);
  // All resolve: one message lists them resolved, and the group is gone.
  EXPECT_TRUE(groups.Tick(kT0 + 100'000, Surge(7, /*resolved=*/true)).empty());
  auto closed = groups.Tick(kT0 + 140'000, Surge(7, true));
  ASSERT_EQ(closed.size(), 1u);
  ASSERT_EQ(closed[0].size(), 7u);
  for (const auto& a : closed[0]) EXPECT_TRUE(a.resolved);
  EXPECT_EQ(groups.groups(), 0u);
  EXPECT_TRUE(groups.Tick(kT0 + 300'000, Surge(7, true)).empty());
}

TEST(NotificationGroups, AnAlertThatResolvedBeforeItsFirstMessageIsNeverSent) {
  NotificationGroups groups(Config());
  EXPECT_TRUE(groups.Tick(kT0, Surge(1)).empty());
  EXPECT_TRUE(groups.Tick(kT0 + 5'000, Surge(1, true)).empty());
  EXPECT_TRUE(groups.Tick(kT0 + 20'000, Surge(1, true)).empty());
  EXPECT_EQ(groups.groups(), 0u);
}

TEST(NotificationGroups, GroupByLabelsSplitsMessages) {
  NotificationGroups groups(Config({"alertname"}));
  std::vector<GroupedAlert> alerts = Surge(3);
  alerts.push_back(Alert("RateLimitSurge", 0));
  groups.Tick(kT0, alerts);
  auto due = groups.Tick(kT0 + 10'000, alerts);
  ASSERT_EQ(due.size(), 2u);
  EXPECT_EQ(due[0].size() + due[1].size(), 4u);
}

TEST(NotificationGroups, APartialResolveIsSentWithTheAlertsStillFiring) {
  NotificationGroups groups(Config());
  groups.Tick(kT0, Surge(3));
  ASSERT_EQ(groups.Tick(kT0 + 10'000, Surge(3)).size(), 1u);
  std::vector<GroupedAlert> now = Surge(3);
  now[0].alert.resolved = true;
  auto due = groups.Tick(kT0 + 70'000, now);
  ASSERT_EQ(due.size(), 1u);
  ASSERT_EQ(due[0].size(), 3u);
  int resolved = 0;
  for (const auto& a : due[0]) resolved += a.resolved;
  EXPECT_EQ(resolved, 1);
  // The resolved one is not listed again.
  now.erase(now.begin());
  now.push_back(Alert("RestApiRateLimited", 1));
  auto next = groups.Tick(kT0 + 130'000, now);
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].size(), 3u);
}

}  // namespace
}  // namespace errpulse
