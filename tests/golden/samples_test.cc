// Golden test: `errpulsed replay --json` (the real binary) on each sample log
// under data/samples/ must give exactly the counts in data/samples/expected.yaml,
// which were labelled by hand, not produced by errpulse.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "support/test_support.h"

namespace errpulse {
namespace {

using testing::SourcePath;

TEST(Golden, ReplayOfEachSampleMatchesTheHandLabelledCounts) {
  YAML::Node expected = YAML::LoadFile(SourcePath("data/samples/expected.yaml"));
  ASSERT_TRUE(expected["files"].IsMap());
  int files = 0;
  for (const auto& item : expected["files"]) {
    const std::string name = item.first.as<std::string>();
    SCOPED_TRACE(name);
    ++files;
    auto result = testing::RunCommand(
        {testing::ErrpulsedPath(), "replay", "--json", SourcePath("data/samples/" + name)});
    ASSERT_EQ(result.status, 0) << result.err;
    auto got = nlohmann::json::parse(result.out);
    EXPECT_EQ(got["lines"].get<int>(), item.second["lines"].as<int>());
    EXPECT_EQ(got["successes"].get<int>(), item.second["successes"].as<int>());
    std::map<std::string, int> want;
    int total = 0;
    for (const auto& e : item.second["errors"]) {
      want[e.first.as<std::string>()] = e.second.as<int>();
      total += e.second.as<int>();
    }
    std::map<std::string, int> have;
    for (auto& [code, n] : got["by_code"].items()) have[code] = n.get<int>();
    EXPECT_EQ(have, want);
    EXPECT_EQ(got["errors"].get<int>(), total);
  }
  EXPECT_GE(files, 4);
}

TEST(Golden, ReplayOfAllSamplesTogetherAddsUp) {
  std::vector<std::string> args = {testing::ErrpulsedPath(), "replay", "--json"};
  YAML::Node expected = YAML::LoadFile(SourcePath("data/samples/expected.yaml"));
  int lines = 0;
  for (const auto& item : expected["files"]) {
    args.push_back(SourcePath("data/samples/" + item.first.as<std::string>()));
    lines += item.second["lines"].as<int>();
  }
  auto result = testing::RunCommand(args);
  ASSERT_EQ(result.status, 0) << result.err;
  EXPECT_EQ(nlohmann::json::parse(result.out)["lines"].get<int>(), lines);
}

}  // namespace
}  // namespace errpulse

namespace errpulse {
namespace {

// Golden backtest: replay of a recorded 60007 surge must give exactly the
// transition timeline worked out by hand in data/samples/surge-rest.transitions.
TEST(Golden, ReplayBacktestsTheShippedAlertRulesOnTheLogsOwnTime) {
  auto result = testing::RunCommand({testing::ErrpulsedPath(), "replay", "--json",
                                     testing::SourcePath("data/samples/surge-rest.log")});
  ASSERT_EQ(result.status, 0) << result.err;
  auto got = nlohmann::json::parse(result.out);
  std::vector<std::string> have;
  for (const auto& t : got["alerts"]) {
    std::string labels;
    for (auto& [k, v] : t["labels"].items()) labels += (labels.empty() ? "" : ",") + k + "=" + v.get<std::string>();
    have.push_back(t["at"].get<std::string>() + " " + t["state"].get<std::string>() + " " +
                   t["alertname"].get<std::string>() + " " + labels + " " +
                   std::to_string(t["count"].get<int>()));
  }
  std::vector<std::string> want;
  std::istringstream expected(testing::ReadFile(testing::SourcePath("data/samples/surge-rest.transitions")));
  std::string line;
  while (std::getline(expected, line))
    if (!line.empty() && line[0] != '#') want.push_back(line);
  EXPECT_EQ(have, want);
  EXPECT_EQ(got["lines"].get<int>(), 600);
  EXPECT_EQ(got["by_code"]["60007"].get<int>(), 300);
}

}  // namespace
}  // namespace errpulse
