// SORT and THREAD (RFC 5256), UID SORT and UID THREAD, with the DISPLAYFROM
// and DISPLAYTO keys of RFC 5957 (SORT=DISPLAY). The messages are chosen by
// the SEARCH program (search.cpp) and read from the per-message parse cache;
// threads come from the one threading function (mime/threading.cpp).
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "mailroom/imap/arguments.hpp"
#include "mailroom/imap/search.hpp"
#include "mailroom/imap/server_session.hpp"
#include "mailroom/mime/codecs.hpp"
#include "mailroom/mime/header_fields.hpp"
#include "mailroom/mime/threading.hpp"
#include "mailroom/text.hpp"

namespace mailroom::imap {

namespace {

// RFC 5256 §3 sort-key.
enum class SortKey { Arrival, Cc, Date, From, Size, Subject, To, DisplayFrom, DisplayTo };

struct SortCriterion {
  SortKey key;
  bool reverse = false;
};

bool needs_content(SortKey k) { return k != SortKey::Arrival && k != SortKey::Size; }

// "(" sort-criterion *(SP sort-criterion) ")", sort-criterion = ["REVERSE" SP] sort-key.
std::vector<SortCriterion> read_criteria(Arguments& a) {
  a.expect('(');
  std::vector<SortCriterion> out;
  do {
    if (out.size() >= 16) a.fail("Too many sort criteria");
    SortCriterion c{SortKey::Arrival};
    if (a.take_word("REVERSE")) {
      c.reverse = true;
      a.sp();
    }
    std::string word = a.atom();
    for (char& ch : word) ch = ascii_upper(ch);
    if (word == "ARRIVAL") c.key = SortKey::Arrival;
    else if (word == "CC") c.key = SortKey::Cc;
    else if (word == "DATE") c.key = SortKey::Date;
    else if (word == "FROM") c.key = SortKey::From;
    else if (word == "SIZE") c.key = SortKey::Size;
    else if (word == "SUBJECT") c.key = SortKey::Subject;
    else if (word == "TO") c.key = SortKey::To;
    else if (word == "DISPLAYFROM") c.key = SortKey::DisplayFrom;
    else if (word == "DISPLAYTO") c.key = SortKey::DisplayTo;
    else a.fail("Unknown sort key " + word);
    out.push_back(c);
  } while (a.try_sp());
  a.expect(')');
  return out;
}

// The first address of a field, "" when there is none.
mime::Address first_address(const mime::ParsedMessage& m, const char* field) {
  const mime::HeaderField* h = m.find_header(0, field);
  if (!h) return {};
  for (auto& a : mime::parse_address_list(m.bytes(h->value)))
    if (!a.address.empty()) return a;
  return {};
}

std::string casemap(std::string s) {
  for (char& c : s) c = ascii_lower(c);
  return s;
}

// RFC 5256 §3: the addr-mailbox (local part) of the first address, compared
// with i;ascii-casemap; "" when there is none.
std::string mailbox_key(const mime::ParsedMessage& m, const char* field) {
  std::string addr = first_address(m, field).address;
  const std::size_t at = addr.rfind('@');
  if (at != std::string::npos) addr.resize(at);
  if (addr.size() >= 2 && addr.front() == '"' && addr.back() == '"')
    addr = addr.substr(1, addr.size() - 2);
  return casemap(std::move(addr));
}

// RFC 5957 §3: the display name of the first address when it has one, else
// its addr-spec. (Compared with i;ascii-casemap here, not i;unicode-casemap:
// non-ASCII letters are compared as their UTF-8 octets.)
std::string display_key(const mime::ParsedMessage& m, const char* field) {
  mime::Address a = first_address(m, field);
  return casemap(a.display_name.empty() ? std::move(a.address) : std::move(a.display_name));
}

// RFC 5256 §3 DATE: the Date field in UTC; the internal date when it has
// none that parses.
std::int64_t sent_date(const mime::ParsedMessage& m, std::int64_t internal_date) {
  if (const mime::HeaderField* h = m.find_header(0, "date"))
    if (auto d = mime::parse_date(m.bytes(h->value))) return mime::unix_time(*d);
  return internal_date;
}

struct SortValue {
  std::int64_t number = 0;
  std::string text;
};

// The THREAD response's threads (RFC 5256 §4 thread-list), numbers from `id`.
template <class Id>
void append_thread(std::string& out, const mime::Threads& t, std::uint32_t node, Id id) {
  // A chain of single children is written flat ("3 6 4"); two or more
  // children are each a parenthesized thread ("(4 23)(44 7 96)"). A dummy
  // (a message referred to but absent) writes no number.
  bool written = false;
  for (std::uint32_t n = node;;) {
    const mime::ThreadNode& tn = t.nodes[n];
    if (tn.message >= 0) {
      if (written) out.push_back(' ');
      out += std::to_string(id(static_cast<std::size_t>(tn.message)));
      written = true;
    }
    if (tn.children.size() == 1) {
      n = tn.children.front();
      continue;
    }
    if (!tn.children.empty() && written) out.push_back(' ');
    for (std::uint32_t c : tn.children) {
      out.push_back('(');
      append_thread(out, t, c, id);
      out.push_back(')');
    }
    return;
  }
}

}  // namespace

std::vector<std::size_t> ServerSession::search_positions(Arguments& a, const std::string& tag,
                                                         bool& refused,
                                                         std::vector<Output>& out) {
  // The charset is required here (RFC 5256 §3), the same ones as SEARCH.
  const std::string charset = a.astring();
  if (!iequals(charset, "UTF-8") && !iequals(charset, "US-ASCII")) {
    refused = true;
    tagged(out, tag, "NO", "[BADCHARSET (UTF-8 US-ASCII)] Unsupported charset");
    return {};
  }
  a.sp();
  bool uses_modseq = false;
  return matching(a, uses_modseq);
}

std::vector<std::size_t> ServerSession::matching(Arguments& a, bool& uses_modseq) {
  const auto largest_uid = view_.empty() ? 0u : view_.back()->uid;
  const SearchProgram program = SearchProgram::parse(
      a, static_cast<std::uint32_t>(view_.size()), largest_uid, &saved_uids_, rev2_);
  uses_modseq = program.uses_modseq();
  if (uses_modseq) enable_condstore();  // RFC 7162 §3.1
  std::vector<std::size_t> found;
  for (std::size_t i = 0; i < view_.size(); ++i) {
    const store::MessagePtr& m = view_[i];
    SearchSubject s;
    s.seq = static_cast<std::uint32_t>(i + 1);
    s.message = m.get();
    s.recent = !rev2_ && recent(m->uid);  // IMAP4rev2 has no \Recent
    s.parsed = [&] { return parsed_message(m); };
    if (program.matches(s)) found.push_back(i);
  }
  return found;
}

void ServerSession::cmd_sort(const std::string& tag, Arguments& a, bool uid,
                             std::vector<Output>& out) {
  a.sp();
  const std::vector<SortCriterion> criteria = read_criteria(a);
  a.sp();
  bool refused = false;
  std::vector<std::size_t> found = search_positions(a, tag, refused, out);
  if (refused) return;
  const bool content = std::any_of(criteria.begin(), criteria.end(),
                                   [](const SortCriterion& c) { return needs_content(c.key); });
  // The keys of each message, computed once.
  std::vector<std::vector<SortValue>> keys(found.size());
  for (std::size_t k = 0; k < found.size(); ++k) {
    const store::Message& m = *view_[found[k]];
    std::shared_ptr<const mime::ParsedMessage> p;
    if (content) p = parsed_message(view_[found[k]]);
    for (const SortCriterion& c : criteria) {
      SortValue v;
      switch (c.key) {
        case SortKey::Arrival: v.number = m.internal_date; break;
        case SortKey::Size: v.number = static_cast<std::int64_t>(m.size); break;
        case SortKey::Date: v.number = sent_date(*p, m.internal_date); break;
        case SortKey::Cc: v.text = mailbox_key(*p, "cc"); break;
        case SortKey::From: v.text = mailbox_key(*p, "from"); break;
        case SortKey::To: v.text = mailbox_key(*p, "to"); break;
        case SortKey::DisplayFrom: v.text = display_key(*p, "from"); break;
        case SortKey::DisplayTo: v.text = display_key(*p, "to"); break;
        case SortKey::Subject: {
          const mime::HeaderField* h = p->find_header(0, "subject");
          v.text = h ? mime::base_subject(mime::decode_header(p->bytes(h->value))).text
                     : std::string();
          break;
        }
      }
      keys[k].push_back(std::move(v));
    }
  }
  std::vector<std::size_t> order(found.size());
  for (std::size_t k = 0; k < order.size(); ++k) order[k] = k;
  // RFC 5256 §3: messages equal by every criterion keep mailbox order
  // (REVERSE does not reverse that).
  std::stable_sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) {
    for (std::size_t c = 0; c < criteria.size(); ++c) {
      const SortValue& vx = keys[x][c];
      const SortValue& vy = keys[y][c];
      const int cmp = vx.number != vy.number ? (vx.number < vy.number ? -1 : 1)
                                              : vx.text.compare(vy.text);
      if (cmp != 0) return criteria[c].reverse ? cmp > 0 : cmp < 0;
    }
    return false;
  });
  std::string line = "SORT";
  for (std::size_t k : order) {
    line.push_back(' ');
    line += std::to_string(uid ? view_[found[k]]->uid : found[k] + 1);
  }
  untagged(line);
  sync(uid);
  tagged(out, tag, "OK", "SORT completed");
}

void ServerSession::cmd_thread(const std::string& tag, Arguments& a, bool uid,
                               std::vector<Output>& out) {
  a.sp();
  std::string algorithm = a.atom();
  for (char& c : algorithm) c = ascii_upper(c);
  if (algorithm != "REFERENCES" && algorithm != "ORDEREDSUBJECT")
    a.fail("Unknown threading algorithm " + algorithm);
  a.sp();
  bool refused = false;
  std::vector<std::size_t> found = search_positions(a, tag, refused, out);
  if (refused) return;
  std::vector<mime::ThreadInput> inputs;
  inputs.reserve(found.size());
  for (std::size_t pos : found) {
    mime::ThreadInput in = mime::thread_input(*parsed_message(view_[pos]));
    if (in.date == 0) in.date = view_[pos]->internal_date;  // RFC 5256 §2.2
    inputs.push_back(std::move(in));
  }
  const mime::Threads threads = algorithm == "REFERENCES" ? mime::thread_references(inputs)
                                                          : mime::thread_ordered_subject(inputs);
  auto id = [&](std::size_t input) -> std::uint64_t {
    const std::size_t pos = found[input];
    return uid ? view_[pos]->uid : pos + 1;
  };
  std::string line = "THREAD";
  if (!threads.roots.empty()) line.push_back(' ');
  for (std::uint32_t r : threads.roots) {
    line.push_back('(');
    append_thread(line, threads, r, id);
    line.push_back(')');
  }
  untagged(line);
  sync(uid);
  tagged(out, tag, "OK", "THREAD completed");
}

}  // namespace mailroom::imap
