#include "journal/journal_lines.h"

#include <algorithm>
#include <cstring>

namespace errpulse {

size_t JournalLines::Add(const JournalEntry& entry) {
  const size_t offset = text_.size();
  times_.push_back({offset, static_cast<int64_t>(entry.realtime_usec / 1000)});
  text_.insert(text_.end(), entry.message.begin(), entry.message.end());
  // Most messages are one line: look before rewriting.
  if (std::memchr(entry.message.data(), '\n', entry.message.size()))
    std::replace(text_.begin() + static_cast<std::ptrdiff_t>(offset), text_.end(), '\n', ' ');
  text_.push_back('\n');
  return entry.message.size() + 1;
}

}  // namespace errpulse
