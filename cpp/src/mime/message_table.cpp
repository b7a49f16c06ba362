// The message table: rows filled in chunks of a batch, each a table of its
// own, by a pool of TableOptions::threads - 1 workers and the caller; the
// chunks are handed out in order (Arrow takes each as a chunk of a column).
#include "mailroom/mime/message_table.hpp"

#include <algorithm>
#include <utility>

#include "mailroom/mime/codecs.hpp"
#include "mailroom/mime/header_fields.hpp"
#include "mailroom/text.hpp"

namespace mailroom::mime {
namespace {

std::string_view trimmed(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t' || v.front() == '\r' ||
                        v.front() == '\n'))
    v.remove_prefix(1);
  while (!v.empty() &&
         (v.back() == ' ' || v.back() == '\t' || v.back() == '\r' || v.back() == '\n'))
    v.remove_suffix(1);
  return v;
}

void push_opt(StringColumn& c, const HeaderField* h, const ParsedMessage& m, bool decode) {
  if (!h) return c.push_null();
  if (decode) return c.push(trimmed(decode_header(m.bytes(h->value))));
  c.push(trimmed(m.bytes(h->value)));
}

void push_addresses(StringListColumn& col, const ParsedMessage& m, std::string_view name) {
  for (const HeaderField& h : m.parts[0].headers) {
    if (!iequals(m.bytes(h.name), name)) continue;
    for (const Address& a : parse_address_list(m.bytes(h.value)))
      if (!a.address.empty()) col.values.push(a.address);
  }
  col.end_row();
}

// Parts a reader sees, depth first, not descending into attached messages.
template <typename F>
void reader_parts(const ParsedMessage& m, F&& f) {
  std::vector<std::uint32_t> stack{0};
  while (!stack.empty()) {
    const std::uint32_t i = stack.back();
    stack.pop_back();
    if (!f(i)) return;
    const Part& p = m.parts[i];
    if (i == 0 || !p.is_message) stack.insert(stack.end(), p.children.rbegin(), p.children.rend());
  }
}

void fill_row(MessageTable& t, const ParsedMessage& m, const TableOptions& o) {
  ++t.rows;
  t.size.push_back(static_cast<std::int64_t>(m.raw.size()));
  t.thread_id.push_back(0);
  if (m.parts.empty()) {  // never from parse_message; kept total all the same
    for (StringColumn* c : {&t.message_id, &t.from_addr, &t.from_name, &t.subject, &t.in_reply_to})
      c->push_null();
    t.date.push_back(0);
    t.date_valid.push_back(0);
    for (StringListColumn* c : {&t.to, &t.cc, &t.bcc, &t.references}) c->end_row();
    t.attachments.end_row();
    if (o.text) t.text.push_null();
    if (o.html) t.html.push_null();
    if (o.headers) t.headers.end_row();
    return;
  }
  push_opt(t.message_id, m.find_header(0, "message-id"), m, false);
  push_opt(t.subject, m.find_header(0, "subject"), m, true);
  const HeaderField* from = m.find_header(0, "from");
  std::vector<Address> authors;
  if (from) authors = parse_address_list(m.bytes(from->value));
  if (!authors.empty()) {
    t.from_addr.push(authors[0].address);
    t.from_name.push(authors[0].display_name);
  } else {
    t.from_addr.push_null();
    t.from_name.push_null();
  }
  std::optional<DateTime> date;
  if (const HeaderField* h = m.find_header(0, "date")) date = parse_date(m.bytes(h->value));
  t.date.push_back(date ? unix_time(*date) : 0);
  t.date_valid.push_back(date ? 1 : 0);
  push_addresses(t.to, m, "to");
  push_addresses(t.cc, m, "cc");
  push_addresses(t.bcc, m, "bcc");
  const HeaderField* irt = m.find_header(0, "in-reply-to");
  const auto irt_ids = irt ? message_ids(m.bytes(irt->value)) : std::vector<std::string_view>{};
  if (irt_ids.empty()) t.in_reply_to.push_null();
  else t.in_reply_to.push(bracketed(irt_ids.front()));
  if (const HeaderField* refs = m.find_header(0, "references")) {
    for (std::string_view id : message_ids(m.bytes(refs->value)))
      t.references.values.push(bracketed(id));
  }
  t.references.end_row();
  reader_parts(m, [&](std::uint32_t i) {
    const Part& p = m.parts[i];
    if (i != 0 && !p.is_multipart && m.is_attachment(i)) {
      const std::string_view name = p.filename();
      if (name.empty()) t.attachments.name.push_null();
      else t.attachments.name.push(name);
      t.attachments.content_type.push(p.content_type);
      t.attachments.size.push_back(static_cast<std::int64_t>(m.decoded_body(i).size()));
    }
    return true;
  });
  t.attachments.end_row();
  bool found = false;
  if (o.text) {
    std::string body = reader_body(m, "plain", found);
    if (found) t.text.push(body);
    else t.text.push_null();
  }
  if (o.html) {
    std::string body = reader_body(m, "html", found);
    if (found) t.html.push(body);
    else t.html.push_null();
  }
  if (o.headers) {
    for (const HeaderField& h : m.parts[0].headers) {
      t.headers.name.push(m.bytes(h.name));
      t.headers.value.push(decode_header(m.bytes(h.value)));
    }
    t.headers.end_row();
  }
}

}  // namespace

void StringColumn::push(std::string_view s) {
  data.append(s);
  offsets.push_back(static_cast<std::int64_t>(data.size()));
  valid.push_back(1);
}

void StringColumn::push_null() {
  offsets.push_back(static_cast<std::int64_t>(data.size()));
  valid.push_back(0);
}

std::string reader_body(const ParsedMessage& m, std::string_view subtype, bool& found) {
  found = false;
  std::string out;
  if (m.parts.empty()) return out;
  const std::string want = "text/" + std::string(subtype);
  reader_parts(m, [&](std::uint32_t i) {
    const Part& p = m.parts[i];
    if (p.is_multipart || p.is_message || p.content_type != want || m.is_attachment(i))
      return true;
    out = m.text(i);
    found = true;
    return false;
  });
  return out;
}

namespace {

// Raw mail per job: big enough that a job outweighs its queueing, small
// enough that two threads share a 4 MiB read evenly.
constexpr std::size_t kJobBytes = std::size_t{1} << 20;
constexpr std::size_t kParsedJobRows = 256;

}  // namespace

MessageTableBuilder::MessageTableBuilder(TableOptions options)
    : options_(options),
      threads_(options.threads ? options.threads
                               : std::max(1u, std::thread::hardware_concurrency())) {}

MessageTableBuilder::~MessageTableBuilder() { stop_workers(); }

void MessageTableBuilder::stop_workers() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  queued_.notify_all();
  for (std::thread& t : workers_) t.join();
  workers_.clear();
  stopping_ = false;
}

void MessageTableBuilder::run(std::unique_lock<std::mutex>& lock) {
  auto [job, chunk] = std::move(queue_.front());
  queue_.pop_front();
  ++running_;
  lock.unlock();
  std::exception_ptr failed;
  try {
    job(*chunk);
  } catch (...) {
    failed = std::current_exception();
  }
  lock.lock();
  if (failed && !error_) error_ = failed;
  --running_;
  done_.notify_all();
}

void MessageTableBuilder::work() {
  std::unique_lock lock(mutex_);
  for (;;) {
    queued_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and nothing left to do
    run(lock);
  }
}

bool MessageTableBuilder::run_queued() {
  std::unique_lock lock(mutex_);
  if (queue_.empty()) return false;
  run(lock);
  return true;
}

void MessageTableBuilder::submit(Job job, std::size_t rows) {
  chunks_.push_back(std::make_unique<Chunk>());
  Chunk* chunk = chunks_.back().get();
  rows_ += rows;
  if (threads_ <= 1) {
    job(*chunk);
    return;
  }
  if (workers_.empty()) {
    for (unsigned i = 1; i < threads_; ++i) workers_.emplace_back([this] { work(); });
  }
  // A full queue: the caller fills a chunk itself instead of framing more.
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      if (queue_.size() < 2 * std::size_t{threads_}) {
        queue_.emplace_back(std::move(job), chunk);
        break;
      }
    }
    run_queued();
  }
  queued_.notify_one();
}

void MessageTableBuilder::wait_idle() {
  while (run_queued()) {
  }
  std::unique_lock lock(mutex_);
  done_.wait(lock, [&] { return queue_.empty() && running_ == 0; });
  if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
}

void MessageTableBuilder::add(const std::vector<std::shared_ptr<ParsedMessage>>& batch) {
  // The messages stay the caller's: every job is done before this returns.
  for (std::size_t b = 0; b < batch.size(); b += kParsedJobRows) {
    const std::size_t e = std::min(batch.size(), b + kParsedJobRows);
    submit(
        [this, &batch, b, e](Chunk& c) {
          c.inputs.reserve(e - b);
          for (std::size_t i = b; i < e; ++i) {
            fill_row(c.table, *batch[i], options_);
            c.inputs.push_back(thread_input(*batch[i]));
          }
        },
        e - b);
  }
  wait_idle();
}

void MessageTableBuilder::add_raw(std::vector<std::string> raws, const Limits& limits) {
  auto shared = std::make_shared<std::vector<std::string>>(std::move(raws));
  for (std::size_t b = 0; b < shared->size();) {
    std::size_t e = b, bytes = 0;
    while (e < shared->size() && (e == b || bytes < kJobBytes)) bytes += (*shared)[e++].size();
    submit(
        [this, shared, b, e, limits](Chunk& c) {
          c.inputs.reserve(e - b);
          for (std::size_t i = b; i < e; ++i) {
            const auto m = parse_message(std::move((*shared)[i]), limits);
            fill_row(c.table, *m, options_);
            c.inputs.push_back(thread_input(*m));
          }
        },
        e - b);
    b = e;
  }
}

std::vector<MessageTable> MessageTableBuilder::finish() {
  wait_idle();
  stop_workers();
  std::vector<ThreadInput> inputs;
  inputs.reserve(rows_);
  for (auto& c : chunks_)
    for (ThreadInput& in : c->inputs) inputs.push_back(std::move(in));
  const Threads t = thread_references(inputs);
  std::vector<MessageTable> out;
  out.reserve(chunks_.size() + 1);
  std::size_t row = 0;
  for (auto& c : chunks_) {
    for (std::int64_t& id : c->table.thread_id) id = t.ids[t.thread[row++]];
    out.push_back(std::move(c->table));
  }
  if (out.empty()) out.emplace_back();
  chunks_.clear();
  rows_ = 0;
  return out;
}

}  // namespace mailroom::mime
