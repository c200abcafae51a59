// Test helper: the catalog shipped in data/catalog.yaml, loaded with the
// daemon's own loader; a diagnostic fails the calling test.
#pragma once

#include <memory>

#include "classify/catalog.h"

namespace errpulse::testing {

std::shared_ptr<const Catalog> ShippedCatalog();

}  // namespace errpulse::testing
