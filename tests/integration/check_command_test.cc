// Integration tests of the errpulsed subcommands that do not run the daemon:
// check (FILE:LINE:COL: diagnostics), explain, replay and --version.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "support/test_support.h"

namespace {

namespace ept = errpulse::testing;

ept::CommandResult Check(const std::string& config) {
  return ept::RunCommand({ept::ErrpulsedPath(), "check", "--config", config});
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) out.push_back(line);
  return out;
}

// The stderr line that starts with `prefix` ("FILE:LINE:COL: "), or "".
std::string LineStartingWith(const std::string& text, const std::string& prefix) {
  for (const auto& line : Lines(text))
    if (line.rfind(prefix, 0) == 0) return line;
  return "";
}

std::string At(const std::string& file, int line, int col) {
  return file + ":" + std::to_string(line) + ":" + std::to_string(col) + ": ";
}

// 1-based column of the first occurrence of `needle` in line `line` (1-based) of `text`.
int ColumnOf(const std::string& text, int line, const std::string& needle) {
  const auto lines = Lines(text);
  const size_t at = lines.at(static_cast<size_t>(line - 1)).find(needle);
  EXPECT_NE(at, std::string::npos) << needle << " not on line " << line;
  return static_cast<int>(at) + 1;
}

void ExpectMessage(const std::string& err, const std::string& prefix,
                   const std::vector<std::string>& words) {
  const std::string line = LineStartingWith(err, prefix);
  ASSERT_FALSE(line.empty()) << "no diagnostic starting with '" << prefix << "' in:\n" << err;
  for (const auto& w : words) EXPECT_NE(line.find(w), std::string::npos) << w << " in: " << line;
}

std::string ValidSources(const ept::TempDir& dir) {
  return "sources:\n"
         "  - name: app\n"
         "    paths: [" + dir.File("app.log") + "]\n";
}

TEST(CheckCommandTest, ValidConfigIsOk) {
  ept::TempDir dir;
  ept::WriteFile(dir.File("app.log"), "");
  const std::string config = dir.File("errpulse.yaml");
  ept::WriteFile(config, "listen: \"127.0.0.1:9464\"\nstate_dir: " + dir.File("state") +
                             "\npoll_interval: 200ms\nmax_unknown_codes: 10\n" +
                             "max_line_bytes: 4096\nread_chunk_bytes: 65536\nlog_level: warn\n" +
                             ValidSources(dir) + "    start_at: beginning\n" +
                             "    rules: [code_key, error_callback]\n");
  const auto r = Check(config);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("ok"), std::string::npos) << r.out;
  EXPECT_EQ(r.err, "");
}

TEST(CheckCommandTest, UnknownKey) {
  ept::TempDir dir;
  const std::string config = dir.File("errpulse.yaml");
  const std::string text = "listen: \"127.0.0.1:9464\"\n" + ValidSources(dir) +
                           "    strat_at: end\n"  // line 5
                           "lisen: x\n";          // line 6
  ept::WriteFile(config, text);
  const auto r = Check(config);
  EXPECT_EQ(r.status, 2) << r.out;
  ExpectMessage(r.err, At(config, 5, 5), {"unknown key 'strat_at'", "start_at"});
  ExpectMessage(r.err, At(config, 6, 1), {"unknown key 'lisen'", "listen"});
  EXPECT_EQ(r.out.find("ok"), std::string::npos);
}

TEST(CheckCommandTest, WrongStartAt) {
  ept::TempDir dir;
  const std::string config = dir.File("errpulse.yaml");
  const std::string text = "listen: \"127.0.0.1:9464\"\n" + ValidSources(dir) +
                           "    start_at: middle\n";  // line 5
  ept::WriteFile(config, text);
  const auto r = Check(config);
  EXPECT_EQ(r.status, 2) << r.out;
  ExpectMessage(r.err, At(config, 5, ColumnOf(text, 5, "middle")),
                {"start_at", "'end'", "'beginning'", "'middle'"});
  EXPECT_EQ(ColumnOf(text, 5, "middle"), 15);
}

TEST(CheckCommandTest, SourceNamesUnknownRule) {
  ept::TempDir dir;
  const std::string config = dir.File("errpulse.yaml");
  const std::string text = "listen: \"127.0.0.1:9464\"\n" + ValidSources(dir) +
                           "    rules: [code_key, no_such_rule]\n"  // line 5
                           "  - name: other\n"
                           "    paths: [" + dir.File("other.log") + "]\n"
                           "    rules:\n"
                           "      - error_callback\n"
                           "      - nope\n";  // line 10
  ept::WriteFile(config, text);
  const auto r = Check(config);
  EXPECT_EQ(r.status, 2) << r.out;
  ExpectMessage(r.err, At(config, 5, 23), {"source 'app'", "no extraction rule", "'no_such_rule'"});
  EXPECT_EQ(ColumnOf(text, 5, "no_such_rule"), 23);
  ExpectMessage(r.err, At(config, 10, 9), {"source 'other'", "no extraction rule", "'nope'"});
}

TEST(CheckCommandTest, InvalidRe2Pattern) {
  ept::TempDir dir;
  const std::string rules = dir.File("broken.yaml");
  const std::string rules_text =
      "version: 1\n"
      "rules:\n"
      "  - name: ranged\n"
      "    pattern: 'code: (?P<code>\\d+)[z-a]'\n"  // line 4
      "  - name: unclosed\n"
      "    pattern: 'code: (?P<code>\\d+'\n";  // line 6
  ept::WriteFile(rules, rules_text);
  const std::string config = dir.File("errpulse.yaml");
  ept::WriteFile(config, "listen: \"127.0.0.1:9464\"\nrules: [" + rules + "]\n" + ValidSources(dir));
  const auto r = Check(config);
  EXPECT_EQ(r.status, 2) << r.out;
  // The column points at the offending fragment inside the quoted pattern.
  const int z = ColumnOf(rules_text, 4, "z-a");
  EXPECT_EQ(z, 35);
  ExpectMessage(r.err, At(rules, 4, z),
                {"rule 'ranged'", "invalid RE2 pattern", "invalid character class range", "z-a"});
  // RE2 quotes the whole pattern: the column is its first character.
  ExpectMessage(r.err, At(rules, 6, ColumnOf(rules_text, 6, "code:")),
                {"rule 'unclosed'", "invalid RE2 pattern", "missing )"});
}

TEST(CheckCommandTest, PatternWithoutCodeGroup) {
  ept::TempDir dir;
  const std::string rules = dir.File("nocode.yaml");
  const std::string rules_text =
      "version: 1\n"
      "rules:\n"
      "  - name: nocode\n"
      "    pattern: 'code: (\\d+)'\n";  // line 4, the scalar starts at its quote
  ept::WriteFile(rules, rules_text);
  const std::string config = dir.File("errpulse.yaml");
  ept::WriteFile(config, "listen: \"127.0.0.1:9464\"\nrules: [" + rules + "]\n" + ValidSources(dir));
  const auto r = Check(config);
  EXPECT_EQ(r.status, 2) << r.out;
  ExpectMessage(r.err, At(rules, 4, ColumnOf(rules_text, 4, "'")),
                {"rule 'nocode'", "no named group 'code'"});
}

TEST(CheckCommandTest, YamlSyntaxError) {
  ept::TempDir dir;
  const std::string config = dir.File("errpulse.yaml");
  const std::string text = "listen: \"127.0.0.1:9464\"\n"
                           "state_dir: a: b\n";  // line 2: a second ':' at column 13
  ept::WriteFile(config, text);
  const auto r = Check(config);
  EXPECT_EQ(r.status, 2) << r.out;
  ExpectMessage(r.err, At(config, 2, 13), {"YAML syntax error"});
}

TEST(CheckCommandTest, MissingCatalogFile) {
  ept::TempDir dir;
  const std::string config = dir.File("errpulse.yaml");
  const std::string text = "listen: \"127.0.0.1:9464\"\n"
                           "catalog:\n"
                           "  - missing-catalog.yaml\n"  // line 3, column 5
                           + ValidSources(dir);
  ept::WriteFile(config, text);
  const auto r = Check(config);
  EXPECT_EQ(r.status, 2) << r.out;
  ExpectMessage(r.err, At(config, 3, 5),
                {dir.File("missing-catalog.yaml"), "No such file or directory"});
}

TEST(CheckCommandTest, MissingConfigFile) {
  ept::TempDir dir;
  const auto r = Check(dir.File("absent.yaml"));
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find(dir.File("absent.yaml") + ": "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("cannot open"), std::string::npos) << r.err;
}

TEST(CheckCommandTest, DaemonRefusesInvalidConfig) {
  ept::TempDir dir;
  const std::string config = dir.File("errpulse.yaml");
  ept::WriteFile(config, "listen: \"127.0.0.1:9464\"\n" + ValidSources(dir) +
                             "    start_at: middle\n");
  const auto r = ept::RunCommand({ept::ErrpulsedPath(), "--config", config});
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find(At(config, 5, 15)), std::string::npos) << r.err;
}

TEST(ExplainCommandTest, JsonForThreeCodes) {
  const auto r = ept::RunCommand({ept::ErrpulsedPath(), "explain", "--json", "60007", "-2", "100001"});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 3u) << r.out;
  struct Want {
    int64_t code;
    std::string name, domain, category;
  };
  const std::vector<Want> want = {
      {60007, "RestApiError.REST_API_RATE_LIMITED", "rest_common", "rate_limit"},
      {-2, "ERR_FREQ_LIMIT", "client_general", "rate_limit"},
      {100001, "ERR_SERVER_SYSTEM_ERROR", "server_room", "internal"},
  };
  for (size_t i = 0; i < 3; ++i) {
    const auto j = nlohmann::json::parse(lines[i]);
    for (const char* field : {"code", "name", "domain", "category", "severity", "meaning_en",
                              "meaning_zh", "action"})
      EXPECT_TRUE(j.contains(field)) << field << " in " << lines[i];
    EXPECT_EQ(j["code"].get<int64_t>(), want[i].code);
    EXPECT_EQ(j["name"], want[i].name);
    EXPECT_EQ(j["domain"], want[i].domain);
    EXPECT_EQ(j["category"], want[i].category);
    for (const char* text : {"severity", "meaning_en", "meaning_zh", "action"})
      EXPECT_FALSE(j[text].get<std::string>().empty()) << text;
  }
}

TEST(ReplayCommandTest, JsonOnRestSample) {
  const std::string sample = ept::SourcePath("data/samples/app-server-rest.log");
  const auto r = ept::RunCommand({ept::ErrpulsedPath(), "replay", "--json", sample});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["lines"].get<int>(), 130);
  for (const char* field : {"errors", "successes", "unknown", "bytes", "by_code"})
    EXPECT_TRUE(j.contains(field)) << field;
  EXPECT_EQ(j["bytes"].get<size_t>(), ept::ReadFile(sample).size());
  uint64_t sum = 0;
  for (const auto& [code, n] : j["by_code"].items()) sum += n.get<uint64_t>();
  EXPECT_EQ(sum, j["errors"].get<uint64_t>());
}

// "-" reads standard input, from a pipe (journalctl -o cat | errpulsed
// replay -) or a redirect, and counts exactly what the file gives.
TEST(ReplayCommandTest, DashReadsStandardInputLikeTheFile) {
  const std::string sample = ept::SourcePath("data/samples/app-server-rest.log");
  const auto from_file = ept::RunCommand({ept::ErrpulsedPath(), "replay", "--json", sample});
  ASSERT_EQ(from_file.status, 0) << from_file.err;
  const auto want = nlohmann::json::parse(from_file.out);
  for (const std::string& shell : {"cat '" + sample + "' | '" + ept::ErrpulsedPath() +
                                       "' replay --json -",
                                   "'" + ept::ErrpulsedPath() + "' replay --json - < '" + sample +
                                       "'"}) {
    const auto r = ept::RunCommand({"/bin/sh", "-c", shell});
    ASSERT_EQ(r.status, 0) << shell << "\n" << r.err;
    const auto got = nlohmann::json::parse(r.out);
    for (const char* field : {"lines", "errors", "successes", "unknown", "bytes", "by_code"})
      EXPECT_EQ(got[field], want[field]) << shell << ": " << field;
    ASSERT_EQ(got["files"].size(), 1u);
    EXPECT_EQ(got["files"][0]["path"], "-");
  }
  const auto twice = ept::RunCommand(
      {"/bin/sh", "-c", "'" + ept::ErrpulsedPath() + "' replay - - < '" + sample + "'"});
  EXPECT_EQ(twice.status, 2);
  EXPECT_NE(twice.err.find("standard input (-) can be read only once"), std::string::npos)
      << twice.err;
}

TEST(VersionCommandTest, PrintsName) {
  const auto r = ept::RunCommand({ept::ErrpulsedPath(), "--version"});
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out.rfind("errpulsed ", 0), 0u) << r.out;
}

}  // namespace
