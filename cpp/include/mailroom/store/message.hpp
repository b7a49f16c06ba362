// One message in one folder, as the store indexes it. Records are immutable
// and shared: a change of flags makes a new record with a new MODSEQ. A
// store keeps 100,000s of them: a record is 104 bytes (what the folder's
// records share is in its FolderHome).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mailroom/smtp/dsn_parameters.hpp"

namespace mailroom::store {

struct Envelope {
  std::string mail_from;              // "" for the null sender <>
  std::vector<std::string> rcpt_to;   // all recipients of the transaction
  std::string peer;                   // "ip:port" of the client
  double received_at = 0;             // seconds since the epoch
  smtp::MessageDsn dsn;               // RET and ENVID (RFC 3461)
  std::vector<smtp::RecipientDsn> rcpt_dsn;  // NOTIFY and ORCPT, one per rcpt_to (or none)
  std::uint64_t smtp_session = 0;     // the server's SMTP session that delivered it; 0: none
};

// What a folder's records share: the account, the folder's Maildir directory
// ("" in memory) and every keyword the folder has known, which a record's
// keyword bits index. Immutable: learning a keyword or a rename makes a new
// one for the records made after; the old table is a prefix of the new.
struct FolderHome {
  std::string account;  // normalized address
  std::string dir;
  std::vector<std::string> keywords;
};
using FolderHomePtr = std::shared_ptr<const FolderHome>;

// A keyword table holds at most this many (the bits of Message::keyword_bits).
constexpr std::size_t kMaxKeywordBits = 32;

// A short string in one allocation of its own length: a Maildir file name in
// a record of which a store holds 100,000s (8 bytes in the record, where a
// std::string takes 32 before its heap block).
class FileName {
 public:
  FileName() = default;
  FileName(std::string_view s) { assign(s); }  // NOLINT: a string is a file name
  FileName(const FileName& o) { assign(o.view()); }
  FileName(FileName&&) noexcept = default;
  FileName& operator=(const FileName& o) {
    if (this != &o) assign(o.view());
    return *this;
  }
  FileName& operator=(FileName&&) noexcept = default;
  FileName& operator=(std::string_view s) {
    assign(s);
    return *this;
  }
  std::string_view view() const { return text_ ? std::string_view(text_.get()) : std::string_view(); }
  operator std::string_view() const { return view(); }  // NOLINT: reads as a string
  bool empty() const { return !text_; }
  friend bool operator==(const FileName& a, const FileName& b) { return a.view() == b.view(); }

 private:
  void assign(std::string_view s) {
    if (s.empty()) {
      text_.reset();
      return;
    }
    text_ = std::make_unique<char[]>(s.size() + 1);  // NUL-terminated
    s.copy(text_.get(), s.size());
  }
  std::unique_ptr<char[]> text_;
};

// A pointer to a record counted in the record itself: 8 bytes where a
// std::shared_ptr takes 16, and no control block (16 bytes more per record
// with make_shared). T has add_ref() and release() (Message's RecordCount).
template <class T>
class RecordPtr {
 public:
  RecordPtr() = default;
  RecordPtr(std::nullptr_t) {}  // NOLINT: as a null shared_ptr
  explicit RecordPtr(T* p) : p_(p) {
    if (p_) p_->add_ref();
  }
  template <class U>
    requires std::is_convertible_v<U*, T*>
  RecordPtr(const RecordPtr<U>& o) : RecordPtr(o.get()) {}  // NOLINT: Draft -> shared
  template <class U>
    requires std::is_convertible_v<U*, T*>
  RecordPtr(RecordPtr<U>&& o) noexcept : p_(o.release_pointer()) {}  // NOLINT
  RecordPtr(const RecordPtr& o) : RecordPtr(o.p_) {}
  RecordPtr(RecordPtr&& o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
  RecordPtr& operator=(RecordPtr o) noexcept {
    std::swap(p_, o.p_);
    return *this;
  }
  ~RecordPtr() {
    if (p_) p_->release();
  }
  void reset() { RecordPtr().swap(*this); }
  void swap(RecordPtr& o) noexcept { std::swap(p_, o.p_); }
  T* get() const { return p_; }
  T& operator*() const { return *p_; }
  T* operator->() const { return p_; }
  explicit operator bool() const { return p_ != nullptr; }
  friend bool operator==(const RecordPtr& a, const RecordPtr& b) { return a.p_ == b.p_; }
  friend bool operator==(const RecordPtr& a, std::nullptr_t) { return a.p_ == nullptr; }
  // The pointer, keeping its count, for a RecordPtr of another type.
  T* release_pointer() { return std::exchange(p_, nullptr); }

 private:
  T* p_ = nullptr;
};

// The count of RecordPtrs to a record: 0 in a copy of a record, untouched by
// assigning one record to another.
class RecordCount {
 public:
  RecordCount() = default;
  RecordCount(const RecordCount&) {}
  RecordCount& operator=(const RecordCount&) { return *this; }
  void add_ref() const { n_.fetch_add(1, std::memory_order_relaxed); }
  // True when that was the last one.
  bool drop() const { return n_.fetch_sub(1, std::memory_order_acq_rel) == 1; }

 private:
  mutable std::atomic<std::uint32_t> n_{0};
};

struct Message {
  RecordCount count;                   // of the RecordPtrs to it (4 bytes beside the UID)
  std::uint32_t uid = 0;               // RFC 9051 §2.3.1.1: ascending, never reused
  std::uint8_t flags = 0;              // Flag bits (flags.hpp)
  std::uint32_t keyword_bits = 0;      // bit i: home->keywords[i]
  std::uint64_t modseq = 0;            // RFC 7162 §3.1: of the last change
  std::int64_t internal_date = 0;      // seconds since the epoch (RFC 9051 §2.3.3)
  std::uint64_t size = 0;              // octets as stored (RFC 9051 §2.3.4)
  // Order of arrival over every account's INBOX (what Server.messages lists),
  // from 1; 0 for messages in other folders.
  std::uint64_t arrival = 0;
  // Maildir: the file in its folder's directory, "new/<base>" or
  // "cur/<base>:2,<info>" as it is named now; memory: "".
  FileName file;
  FolderHomePtr home;                         // the account, directory, keyword table
  std::shared_ptr<const std::string> data;    // memory: the bytes; Maildir: null (read lazily)
  std::shared_ptr<const Envelope> envelope;   // null when the SMTP envelope is not known

  const std::string& account() const;
  // The keywords, sorted and unique (as normalize_keywords leaves them).
  std::vector<std::string> keywords() const;
  bool has_keywords() const { return keyword_bits != 0; }
  // Maildir: the unique base name (no "new/", no ":2," info); memory: "".
  std::string_view base_name() const {
    std::string_view f = file;
    if (const auto slash = f.find('/'); slash != std::string_view::npos) f.remove_prefix(slash + 1);
    return f.substr(0, f.find(':'));
  }
  // Maildir: the file now; memory: "".
  std::string path() const;

  void add_ref() const { count.add_ref(); }
  void release() const {
    if (count.drop()) delete this;
  }
};
using MessagePtr = RecordPtr<const Message>;
using MessageDraft = RecordPtr<Message>;  // a record being made, before it is shared

// A new record, or a copy of one to change (the copy's count starts at 0).
inline MessageDraft make_message() { return MessageDraft(new Message()); }
inline MessageDraft make_message(const Message& from) { return MessageDraft(new Message(from)); }

// The bits of `keywords` in `table` (compared case-insensitively); a keyword
// the table does not hold has none.
std::uint32_t keyword_bits_of(const std::vector<std::string>& table,
                              const std::vector<std::string>& keywords);

// What an SMTP envelope must have been for a message found on disk: the
// sender from the Return-Path written at delivery (RFC 5321 §4.4), the
// account as the recipient, the internal date as the time.
std::shared_ptr<const Envelope> envelope_from_headers(std::string_view data,
                                                      const std::string& account,
                                                      std::int64_t internal_date);

// Lower-cases the domain; keeps the local part as written (RFC 5321 §2.4:
// local parts may be case-sensitive). "<>" and bare names map to themselves.
std::string normalize_mailbox(std::string_view address);

// The POP3 unique-id of a message as Dovecot's pop3_uidl_format
// "%08Xv%08Xu" makes it: UIDVALIDITY then UID, 8 upper-case hex digits each.
std::string pop3_uidl(std::uint32_t uidvalidity, std::uint32_t uid);

}  // namespace mailroom::store
