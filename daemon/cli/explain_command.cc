// errpulsed explain [--json] [--config FILE] CODE|NAME...
// Prints the catalog entry of each code; codes the catalog does not list are
// classified by range. Names and aliases (ERR_FREQ_LIMIT, errFreqLimit) work too.
#include <charconv>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/options.h"

namespace errpulse {
namespace {

const CatalogEntry* FindByName(const Catalog& catalog, const std::string& name) {
  for (const auto& e : catalog.entries()) {
    if (e.name == name) return &e;
    for (const auto& alias : e.aliases)
      if (alias == name) return &e;
  }
  return nullptr;
}

nlohmann::ordered_json ToJson(const CatalogEntry& e) {
  return {{"code", e.code},         {"known", true},
          {"name", e.name},         {"aliases", e.aliases},
          {"domain", e.domain},     {"category", e.category},
          {"severity", e.severity}, {"retryable", e.retryable},
          {"origin", e.origin},     {"meaning_en", e.meaning_en},
          {"meaning_zh", e.meaning_zh}, {"action", e.action}};
}

nlohmann::ordered_json UnknownJson(int64_t code) {
  return {{"code", code},         {"known", false},
          {"name", ""},           {"aliases", nlohmann::json::array()},
          {"domain", RangeDomain(code)}, {"category", "unknown"},
          {"severity", "unknown"}, {"retryable", false},
          {"origin", ""},
          {"meaning_en", "Not in the catalog; classified by its range."},
          {"meaning_zh", "目录中没有此错误码，仅按数值范围归类。"},
          {"action", "Look the code up in the SDK documentation and add it to a site catalog file."}};
}

void PrintText(const CatalogEntry& e) {
  std::cout << e.code << "  " << e.name << "\n"
            << "  domain:    " << e.domain << "\n"
            << "  category:  " << e.category << "\n"
            << "  severity:  " << e.severity << (e.retryable ? " (retrying can help)" : " (retrying does not help)") << "\n"
            << "  meaning:   " << e.meaning_en << "\n"
            << "  含义:      " << e.meaning_zh << "\n"
            << "  action:    " << e.action << "\n";
  if (!e.aliases.empty()) {
    std::cout << "  also:      ";
    for (size_t i = 0; i < e.aliases.size(); ++i) std::cout << (i ? ", " : "") << e.aliases[i];
    std::cout << "\n";
  }
  std::cout << "  origin:    " << e.origin << " (" << e.defined_in << ")\n";
}

}  // namespace

int ExplainCommand(const Args& raw) {
  Args args = raw;
  const bool json = TakeFlag(&args, "json");
  const std::string config = TakeOption(&args, "config").value_or("");
  if (!RejectUnknownOptions(args, "explain")) return 2;
  if (args.empty()) {
    std::cerr << "errpulsed explain: give one or more codes, e.g. errpulsed explain 60007 -2\n";
    return 2;
  }
  auto setup = LoadSetup(config, /*defaults_ok=*/true);
  if (!setup) return 2;
  const Catalog& catalog = *setup->catalog;
  int status = 0;
  for (const auto& arg : args) {
    int64_t code = 0;
    auto [end, ec] = std::from_chars(arg.data(), arg.data() + arg.size(), code);
    const bool numeric = ec == std::errc() && end == arg.data() + arg.size();
    const CatalogEntry* entry = numeric ? catalog.Find(code) : FindByName(catalog, arg);
    if (!numeric && entry == nullptr) {
      std::cerr << "errpulsed explain: '" << arg << "' is neither a code nor a known name\n";
      status = 1;
      continue;
    }
    if (json) {
      std::cout << (entry ? ToJson(*entry) : UnknownJson(code)).dump() << "\n";
    } else if (entry) {
      PrintText(*entry);
    } else {
      std::cout << code << "  (not in the catalog)\n  domain:    " << RangeDomain(code)
                << " (by range)\n  category:  unknown\n";
    }
  }
  return status;
}

}  // namespace errpulse
