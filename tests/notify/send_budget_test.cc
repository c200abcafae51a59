// The send budget: sliding windows per minute and per second.
#include <gtest/gtest.h>

#include "notify/send_budget.h"

namespace errpulse {
namespace {

TEST(SendBudget, AMinuteBudgetHoldsTheNextMessageUntilTheOldestLeavesTheWindow) {
  SendBudget budget({3, 0});
  int64_t now = 1'000'000;
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(budget.WaitMs(now), 0);
    budget.Note(now);
    now += 1'000;
  }
  EXPECT_EQ(budget.WaitMs(now), 57'000);  // the first left at 1'060'000
  EXPECT_EQ(budget.WaitMs(1'060'000), 0);
}

TEST(SendBudget, ASecondBudgetSpacesBursts) {
  SendBudget budget({0, 2});
  budget.Note(5'000);
  budget.Note(5'100);
  EXPECT_EQ(budget.WaitMs(5'200), 800);
  EXPECT_EQ(budget.WaitMs(6'000), 0);
}

TEST(SendBudget, DefaultsStayUnderTheRobotsDocumentedLimits) {
  EXPECT_LT(DefaultSendLimits(PayloadFormat::kWecom).per_minute, 20);
  EXPECT_GT(DefaultSendLimits(PayloadFormat::kWecom).per_minute, 0);
  EXPECT_LT(DefaultSendLimits(PayloadFormat::kDingtalk).per_minute, 20);
  EXPECT_LT(DefaultSendLimits(PayloadFormat::kFeishu).per_minute, 100);
  EXPECT_LT(DefaultSendLimits(PayloadFormat::kFeishu).per_second, 5);
  EXPECT_EQ(DefaultSendLimits(PayloadFormat::kAlertmanagerApi).per_minute, 0);
  SendBudget unlimited(DefaultSendLimits(PayloadFormat::kAlertmanagerApi));
  for (int i = 0; i < 1000; ++i) unlimited.Note(7);
  EXPECT_EQ(unlimited.WaitMs(7), 0);
}

}  // namespace
}  // namespace errpulse
