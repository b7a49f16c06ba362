// Messages as a table: one row per message, the columns of mailroom's
// documented schema (README "Mail as data") filled natively, column by column,
// in the layout Arrow uses (64-bit offsets into one data buffer per string
// column), so Python hands them to pyarrow without a loop over messages.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mailroom/mime/message.hpp"
#include "mailroom/mime/threading.hpp"

namespace mailroom::mime {

struct StringColumn {
  std::vector<std::int64_t> offsets{0};
  std::string data;
  std::vector<std::uint8_t> valid;  // one byte per row: 1 when not null
  void push(std::string_view s);
  void push_null();
  void append(const StringColumn& other);
  std::size_t size() const { return valid.size(); }
};

// A list of strings per row (To, Cc, Bcc, References).
struct StringListColumn {
  std::vector<std::int64_t> offsets{0};
  StringColumn values;
  void end_row() { offsets.push_back(static_cast<std::int64_t>(values.size())); }
  void append(const StringListColumn& other);
};

// Per row a list of (name, content type, decoded size): its attachments.
struct AttachmentColumn {
  std::vector<std::int64_t> offsets{0};
  StringColumn name, content_type;
  std::vector<std::int64_t> size;
  void end_row() { offsets.push_back(static_cast<std::int64_t>(size.size())); }
  void append(const AttachmentColumn& other);
};

// Per row the header fields as (name, decoded value) pairs.
struct HeaderColumn {
  std::vector<std::int64_t> offsets{0};
  StringColumn name, value;
  void end_row() { offsets.push_back(static_cast<std::int64_t>(name.size())); }
  void append(const HeaderColumn& other);
};

struct TableOptions {
  bool text = false;     // the decoded text/plain body a reader sees
  bool html = false;     // the decoded text/html body
  bool headers = false;  // every header field, decoded
  unsigned threads = 0;  // 0: one per core
};

struct MessageTable {
  std::size_t rows = 0;
  StringColumn message_id, from_addr, from_name, subject, in_reply_to, text, html;
  std::vector<std::int64_t> date;  // seconds since the epoch, UTC
  std::vector<std::uint8_t> date_valid;
  StringListColumn to, cc, bcc, references;
  std::vector<std::int64_t> size;       // bytes of the message
  std::vector<std::int64_t> thread_id;  // RFC 5256 REFERENCES thread, by first message
  AttachmentColumn attachments;
  HeaderColumn headers;
  void append(const MessageTable& other, const TableOptions& options);
};

// Builds a table batch by batch (rows in the order added); threads are
// computed over every row when it is finished.
class MessageTableBuilder {
 public:
  explicit MessageTableBuilder(TableOptions options) : options_(options) {}
  void add(const std::vector<std::shared_ptr<ParsedMessage>>& batch);
  // Raw messages (moved from): each worker parses its slice and fills its
  // rows, so a message is parsed, read and let go on one thread.
  void add_raw(std::vector<std::string> raws, const Limits& limits);
  MessageTable finish();
  std::size_t rows() const { return table_.rows; }

 private:
  template <typename Row>
  void add_rows(std::size_t n, Row&& row);
  TableOptions options_;
  MessageTable table_;
  std::vector<ThreadInput> thread_inputs_;
};

// The body of type text/<subtype> a mail reader shows: the first such leaf
// that is not an attachment, not looking inside attached messages; its text
// decoded to UTF-8. `found` false when there is none.
std::string reader_body(const ParsedMessage& message, std::string_view subtype, bool& found);

}  // namespace mailroom::mime
