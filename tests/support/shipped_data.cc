#include "support/shipped_data.h"

#include <gtest/gtest.h>

#include "support/test_support.h"

namespace errpulse::testing {

std::shared_ptr<const Catalog> ShippedCatalog() {
  Diagnostics diagnostics;
  auto catalog = Catalog::Load({SourcePath("data/catalog.yaml")}, &diagnostics);
  EXPECT_TRUE(catalog) << FormatDiagnostics(diagnostics);
  return catalog;
}

}  // namespace errpulse::testing
