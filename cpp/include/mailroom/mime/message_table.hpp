// Messages as a table: one row per message, the columns of mailroom's
// documented schema (README "Mail as data") filled natively, column by column,
// in the layout Arrow uses (64-bit offsets into one data buffer per string
// column), so Python hands them to pyarrow without a loop over messages.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
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
  std::size_t size() const { return valid.size(); }
};

// A list of strings per row (To, Cc, Bcc, References).
struct StringListColumn {
  std::vector<std::int64_t> offsets{0};
  StringColumn values;
  void end_row() { offsets.push_back(static_cast<std::int64_t>(values.size())); }
};

// Per row a list of (name, content type, decoded size): its attachments.
struct AttachmentColumn {
  std::vector<std::int64_t> offsets{0};
  StringColumn name, content_type;
  std::vector<std::int64_t> size;
  void end_row() { offsets.push_back(static_cast<std::int64_t>(size.size())); }
};

// Per row the header fields as (name, decoded value) pairs.
struct HeaderColumn {
  std::vector<std::int64_t> offsets{0};
  StringColumn name, value;
  void end_row() { offsets.push_back(static_cast<std::int64_t>(name.size())); }
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
  std::vector<std::int64_t> thread_id;  // its RFC 5256 REFERENCES thread's conversation_id
  AttachmentColumn attachments;
  HeaderColumn headers;
};

// Builds a table batch by batch, in the order added, as chunks of rows (each
// a table of its own, which Arrow takes as one chunk of a chunked column);
// threads are computed over every row when it is finished.
//
// With more than one thread, a pool of threads - 1 workers parses and fills
// the chunks while the caller goes on framing the next batch: add_raw returns
// once its messages are queued, and the caller takes a queued chunk itself
// when the queue is full (at most two chunks per thread wait, so memory stays
// bounded). add returns when its batch is in the table (the messages are the
// caller's). With one thread everything runs on the caller, in order.
class MessageTableBuilder {
 public:
  explicit MessageTableBuilder(TableOptions options);
  ~MessageTableBuilder();
  MessageTableBuilder(const MessageTableBuilder&) = delete;
  MessageTableBuilder& operator=(const MessageTableBuilder&) = delete;

  void add(const std::vector<std::shared_ptr<ParsedMessage>>& batch);
  // Raw messages (moved from): each chunk is parsed, read and let go by the
  // thread that fills its rows.
  void add_raw(std::vector<std::string> raws, const Limits& limits);
  // The chunks in order (at least one, maybe with no rows), thread_id set.
  // Rethrows what a worker threw.
  std::vector<MessageTable> finish();
  // Rows added so far (queued or filled).
  std::size_t rows() const { return rows_; }

 private:
  struct Chunk {
    MessageTable table;
    std::vector<ThreadInput> inputs;
  };
  using Job = std::function<void(Chunk&)>;
  void submit(Job job, std::size_t rows);
  void run(std::unique_lock<std::mutex>& lock);  // the job in front, the lock held
  bool run_queued();  // runs one queued job on the caller; false when none
  void wait_idle();
  void stop_workers();
  void work();

  TableOptions options_;
  unsigned threads_;
  std::size_t rows_ = 0;
  std::vector<std::unique_ptr<Chunk>> chunks_;
  std::mutex mutex_;
  std::condition_variable queued_, done_;
  std::deque<std::pair<Job, Chunk*>> queue_;
  std::size_t running_ = 0;
  bool stopping_ = false;
  std::exception_ptr error_;
  std::vector<std::thread> workers_;
};

// The body of type text/<subtype> a mail reader shows: the first such leaf
// that is not an attachment, not looking inside attached messages; its text
// decoded to UTF-8. `found` false when there is none.
std::string reader_body(const ParsedMessage& message, std::string_view subtype, bool& found);

}  // namespace mailroom::mime
