// What a JournalReader hands to a sink: journal entries in journal order, each a
// read-only view into a record's entries that the batch shares (with the journal's
// cache of recent records and with other readers) instead of copying.
#ifndef TIDEMARK_OFFSETS_JOURNAL_BATCH_H_
#define TIDEMARK_OFFSETS_JOURNAL_BATCH_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <utility>
#include <vector>

#include <google/protobuf/arena.h>

#include "tidemark/v1/journal.pb.h"

namespace tidemark {

// The entries of one journal record, immutable once shared: a vector of them (what
// the journal appended), or a record read back and parsed on a protobuf arena of its
// own (parsing and freeing on an arena costs a fraction of allocating and freeing
// every message, string and row one by one).
class RecordEntries {
 public:
  explicit RecordEntries(std::vector<v1::JournalEntry> entries)
      : vec_(std::move(entries)), size_(vec_.size()) {}
  // `record` lives on `arena`.
  RecordEntries(std::unique_ptr<google::protobuf::Arena> arena, const v1::JournalBatch* record)
      : arena_(std::move(arena)), record_(record), size_(static_cast<size_t>(record->entries_size())) {}
  RecordEntries(const RecordEntries&) = delete;
  RecordEntries& operator=(const RecordEntries&) = delete;

  size_t size() const { return size_; }
  const v1::JournalEntry& operator[](size_t i) const {
    return record_ != nullptr ? record_->entries(static_cast<int>(i)) : vec_[i];
  }

 private:
  std::vector<v1::JournalEntry> vec_;
  std::unique_ptr<google::protobuf::Arena> arena_;
  const v1::JournalBatch* record_ = nullptr;  // on arena_
  size_t size_;
};
using SharedEntries = std::shared_ptr<const RecordEntries>;

// A sequence of const entries. Either views into shared records (Append: what
// readers build) or entries of its own (push_back and the constructors: tests and
// tools); both kinds may be mixed.
class JournalEntries {
 public:
  class const_iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = v1::JournalEntry;
    using difference_type = std::ptrdiff_t;
    using pointer = const v1::JournalEntry*;
    using reference = const v1::JournalEntry&;
    const_iterator() = default;
    explicit const_iterator(const v1::JournalEntry* const* p) : p_(p) {}
    reference operator*() const { return **p_; }
    pointer operator->() const { return *p_; }
    const_iterator& operator++() { ++p_; return *this; }
    const_iterator operator++(int) { const_iterator t = *this; ++p_; return t; }
    bool operator==(const const_iterator& o) const { return p_ == o.p_; }
    bool operator!=(const const_iterator& o) const { return p_ != o.p_; }

   private:
    const v1::JournalEntry* const* p_ = nullptr;
  };

  JournalEntries() = default;
  JournalEntries(std::initializer_list<v1::JournalEntry> entries) {
    entries_.reserve(entries.size());
    for (const v1::JournalEntry& e : entries) push_back(e);
  }
  explicit JournalEntries(std::vector<v1::JournalEntry> entries) {
    const size_t n = entries.size();
    Append(std::make_shared<const RecordEntries>(std::move(entries)), 0, n);
  }
  JournalEntries(JournalEntries&&) noexcept = default;
  JournalEntries& operator=(JournalEntries&&) noexcept = default;
  // Copies share the records and the entries of their own.
  JournalEntries(const JournalEntries&) = default;
  JournalEntries& operator=(const JournalEntries&) = default;

  // Views entries [from, to) of `record`.
  void Append(const SharedEntries& record, size_t from, size_t to) {
    if (from >= to) return;
    if (records_.empty() || records_.back() != record) records_.push_back(record);
    for (size_t i = from; i < to; ++i) entries_.push_back(&(*record)[i]);
  }
  // Appends an entry of its own.
  void push_back(v1::JournalEntry entry) {
    if (own_ == nullptr) own_ = std::make_shared<std::deque<v1::JournalEntry>>();
    own_->push_back(std::move(entry));
    entries_.push_back(&own_->back());
  }
  // Adds to `owners` what keeps these entries alive (their records and entries of
  // its own), for a caller that keeps references to entries past this object.
  void ShareOwners(std::vector<std::shared_ptr<const void>>* owners) const {
    owners->insert(owners->end(), records_.begin(), records_.end());
    if (own_ != nullptr) owners->push_back(own_);
  }
  void reserve(size_t n) { entries_.reserve(n); }

  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  const v1::JournalEntry& operator[](size_t i) const { return *entries_[i]; }
  const_iterator begin() const { return const_iterator(entries_.data()); }
  const_iterator end() const { return const_iterator(entries_.data() + entries_.size()); }

 private:
  std::vector<const v1::JournalEntry*> entries_;
  std::vector<SharedEntries> records_;  // keeps the viewed records alive
  // Entries of its own: a deque keeps their addresses as it grows. Shared by
  // copies, which only ever append.
  std::shared_ptr<std::deque<v1::JournalEntry>> own_;
};

// Entries read from the journal, in journal order: entries[i] has offset first_offset + i.
struct JournalBatch {
  uint64_t first_offset = 0;
  JournalEntries entries;
  uint64_t end_offset() const { return first_offset + entries.size(); }
};

}  // namespace tidemark

#endif  // TIDEMARK_OFFSETS_JOURNAL_BATCH_H_
