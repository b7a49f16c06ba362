// The message table: rows filled on up to TableOptions::threads threads, each
// a slice of the batch into a table of its own, then appended in order.
#include "mailroom/mime/message_table.hpp"

#include <algorithm>
#include <thread>

#include "mailroom/mime/codecs.hpp"
#include "mailroom/mime/header_fields.hpp"
#include "mailroom/text.hpp"

namespace mailroom::mime {
namespace {

void append_shifted(std::vector<std::int64_t>& offsets, const std::vector<std::int64_t>& more) {
  const std::int64_t base = offsets.back();
  for (std::size_t i = 1; i < more.size(); ++i) offsets.push_back(base + more[i]);
}

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

void StringColumn::append(const StringColumn& o) {
  append_shifted(offsets, o.offsets);
  data.append(o.data);
  valid.insert(valid.end(), o.valid.begin(), o.valid.end());
}

void StringListColumn::append(const StringListColumn& o) {
  append_shifted(offsets, o.offsets);
  values.append(o.values);
}

void AttachmentColumn::append(const AttachmentColumn& o) {
  append_shifted(offsets, o.offsets);
  name.append(o.name);
  content_type.append(o.content_type);
  size.insert(size.end(), o.size.begin(), o.size.end());
}

void HeaderColumn::append(const HeaderColumn& o) {
  append_shifted(offsets, o.offsets);
  name.append(o.name);
  value.append(o.value);
}

void MessageTable::append(const MessageTable& o, const TableOptions& opt) {
  rows += o.rows;
  for (auto [a, b] : {std::pair{&message_id, &o.message_id}, {&from_addr, &o.from_addr},
                      {&from_name, &o.from_name}, {&subject, &o.subject},
                      {&in_reply_to, &o.in_reply_to}})
    a->append(*b);
  if (opt.text) text.append(o.text);
  if (opt.html) html.append(o.html);
  date.insert(date.end(), o.date.begin(), o.date.end());
  date_valid.insert(date_valid.end(), o.date_valid.begin(), o.date_valid.end());
  to.append(o.to);
  cc.append(o.cc);
  bcc.append(o.bcc);
  references.append(o.references);
  size.insert(size.end(), o.size.begin(), o.size.end());
  thread_id.insert(thread_id.end(), o.thread_id.begin(), o.thread_id.end());
  attachments.append(o.attachments);
  if (opt.headers) headers.append(o.headers);
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

template <typename Row>
void MessageTableBuilder::add_rows(std::size_t n, Row&& row) {
  unsigned threads = options_.threads ? options_.threads
                                      : std::max(1u, std::thread::hardware_concurrency());
  threads = static_cast<unsigned>(std::min<std::size_t>(threads, n / 64 + 1));
  std::vector<MessageTable> slices(threads);
  std::vector<std::vector<ThreadInput>> inputs(threads);
  auto work = [&](unsigned s) {
    const std::size_t begin = n * s / threads, end = n * (s + 1) / threads;
    inputs[s].reserve(end - begin);
    for (std::size_t i = begin; i < end; ++i) row(i, slices[s], inputs[s]);
  };
  std::vector<std::thread> pool;
  for (unsigned s = 1; s < threads; ++s) pool.emplace_back(work, s);
  work(0);
  for (std::thread& t : pool) t.join();
  for (unsigned s = 0; s < threads; ++s) {
    table_.append(slices[s], options_);
    for (ThreadInput& in : inputs[s]) thread_inputs_.push_back(std::move(in));
  }
}

void MessageTableBuilder::add(const std::vector<std::shared_ptr<ParsedMessage>>& batch) {
  add_rows(batch.size(), [&](std::size_t i, MessageTable& t, std::vector<ThreadInput>& in) {
    fill_row(t, *batch[i], options_);
    in.push_back(thread_input(*batch[i]));
  });
}

void MessageTableBuilder::add_raw(std::vector<std::string> raws, const Limits& limits) {
  add_rows(raws.size(), [&](std::size_t i, MessageTable& t, std::vector<ThreadInput>& in) {
    const auto m = parse_message(std::move(raws[i]), limits);
    fill_row(t, *m, options_);
    in.push_back(thread_input(*m));
  });
}

MessageTable MessageTableBuilder::finish() {
  const Threads t = thread_references(thread_inputs_);
  for (std::size_t i = 0; i < t.thread.size() && i < table_.thread_id.size(); ++i)
    table_.thread_id[i] = t.thread[i];
  thread_inputs_.clear();
  return std::move(table_);
}

}  // namespace mailroom::mime
