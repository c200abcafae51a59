#include "engine/split_counter.h"

#include <cstring>

namespace errpulse {

SplitCounter::SplitCounter(int threads, size_t min_split_bytes)
    : min_split_bytes_(min_split_bytes) {
  if (threads >= 2) helper_ = std::thread([this] { HelperLoop(); });
}

SplitCounter::~SplitCounter() {
  if (!helper_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  helper_.join();
}

size_t SplitCounter::CutPoint(std::string_view chunk, int share) {
  const size_t middle = chunk.size() / 64 * static_cast<size_t>(share);
  const void* newline = std::memchr(chunk.data() + middle, '\n', chunk.size() - middle);
  if (newline == nullptr) return chunk.size();
  return static_cast<size_t>(static_cast<const char*>(newline) - chunk.data()) + 1;
}

void SplitCounter::StartHelper(const LineScanner& scanner, std::string_view half) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    job_scanner_ = &scanner;
    job_ = half;
    job_pending_ = true;
    job_done_ = false;
  }
  wake_.notify_all();
}

void SplitCounter::WaitForHelper() {
  std::unique_lock<std::mutex> lock(mutex_);
  const bool helper_was_first = job_done_;
  wake_.wait(lock, [this] { return job_done_; });
  if (helper_was_first && main_share_ > 16) --main_share_;
  if (!helper_was_first && main_share_ < 48) ++main_share_;
}

void SplitCounter::HelperLoop() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return job_pending_ || stopping_; });
    if (stopping_) return;
    job_pending_ = false;
    const LineScanner& scanner = *job_scanner_;
    const std::string_view half = job_;
    lock.unlock();
    helper_matches_.clear();  // keeps its capacity
    helper_lines_ = CountLines(half);
    scanner.Scan(half, [this](const Match& match) { helper_matches_.push_back(match); });
    lock.lock();
    job_done_ = true;
    wake_.notify_all();
  }
}

}  // namespace errpulse
