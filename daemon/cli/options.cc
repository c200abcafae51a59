#include "cli/options.h"

#include <sys/stat.h>

#include <iostream>

namespace errpulse {

std::optional<std::string> TakeOption(Args* args, const std::string& name) {
  const std::string flag = "--" + name;
  for (size_t i = 0; i < args->size(); ++i) {
    const std::string& a = (*args)[i];
    if (a == flag && i + 1 < args->size()) {
      std::string value = (*args)[i + 1];
      args->erase(args->begin() + static_cast<long>(i), args->begin() + static_cast<long>(i) + 2);
      return value;
    }
    if (a.rfind(flag + "=", 0) == 0) {
      std::string value = a.substr(flag.size() + 1);
      args->erase(args->begin() + static_cast<long>(i));
      return value;
    }
  }
  return std::nullopt;
}

bool TakeFlag(Args* args, const std::string& name) {
  for (size_t i = 0; i < args->size(); ++i) {
    if ((*args)[i] == "--" + name) {
      args->erase(args->begin() + static_cast<long>(i));
      return true;
    }
  }
  return false;
}

bool RejectUnknownOptions(const Args& args, const char* command) {
  for (const auto& a : args) {
    if (a.rfind("--", 0) == 0) {
      std::cerr << "errpulsed " << command << ": unknown option " << a
                << " (errpulsed --help lists them)\n";
      return false;
    }
  }
  return true;
}

std::shared_ptr<const Setup> LoadSetup(const std::string& path, bool defaults_ok) {
  std::string report;
  auto setup = LoadSetup(path, defaults_ok, &report);
  std::cerr << report;
  return setup;
}

std::shared_ptr<const Setup> LoadSetup(const std::string& path, bool defaults_ok,
                                       std::string* report) {
  Diagnostics diagnostics;
  std::optional<Config> config;
  struct stat st;
  if (path.empty() && defaults_ok && ::stat(kDefaultConfigPath, &st) != 0) {
    config = DefaultConfig();
  } else {
    config = LoadConfig(path.empty() ? kDefaultConfigPath : path, &diagnostics);
  }
  std::shared_ptr<const Setup> setup;
  if (config) setup = Setup::Compile(std::move(*config), &diagnostics);
  *report = FormatDiagnostics(diagnostics);
  return setup;
}

std::shared_ptr<const WebConfig> LoadWebConfigFile(const std::string& path) {
  std::string report;
  auto web = LoadWebConfigFile(path, &report);
  std::cerr << report;
  return web;
}

std::shared_ptr<const WebConfig> LoadWebConfigFile(const std::string& path, std::string* report) {
  Diagnostics diagnostics;
  auto web = LoadWebConfig(path, &diagnostics);
  *report += FormatDiagnostics(diagnostics);
  if (!web) return nullptr;
  return std::make_shared<const WebConfig>(std::move(*web));
}

}  // namespace errpulse
