// RFC 5256 §2.1 base subjects and §3 REFERENCES threading. Every tree walk is
// iterative (an explicit stack), so a long chain of replies never touches the
// call stack's depth.
#include "mailroom/mime/threading.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <stdexcept>
#include <unordered_map>
#include <utility>

#include "mailroom/mime/codecs.hpp"
#include "mailroom/mime/header_fields.hpp"
#include "mailroom/text.hpp"

namespace mailroom::mime {
namespace {

bool istarts(std::string_view s, std::string_view p) { return istarts_with(s, p); }

// subj-blob = "[" *BLOBCHAR "]" *WSP at `pos`; its end, or npos.
std::size_t blob_end(std::string_view s, std::size_t pos) {
  if (pos >= s.size() || s[pos] != '[') return std::string_view::npos;
  std::size_t i = pos + 1;
  while (i < s.size() && s[i] != ']' && s[i] != '[') ++i;
  if (i >= s.size() || s[i] != ']') return std::string_view::npos;
  ++i;
  while (i < s.size() && s[i] == ' ') ++i;
  return i;
}

// subj-refwd = ("re" / ("fw" ["d"])) *WSP [subj-blob] ":" at `pos`; its end or
// npos. With `aw`, the German "Aw:" ("Antwort") as well, as mail user agents
// write it (not RFC 5256's).
std::size_t refwd_end(std::string_view s, std::size_t pos, bool aw) {
  std::string_view rest = s.substr(pos);
  std::size_t n = 0;
  if (istarts(rest, "re")) n = 2;
  else if (istarts(rest, "fwd")) n = 3;
  else if (istarts(rest, "fw")) n = 2;
  else if (aw && istarts(rest, "aw")) n = 2;
  else return std::string_view::npos;
  pos += n;
  while (pos < s.size() && s[pos] == ' ') ++pos;
  if (std::size_t e = blob_end(s, pos); e != std::string_view::npos) pos = e;
  if (pos < s.size() && s[pos] == ':') return pos + 1;
  return std::string_view::npos;
}

// subj-leader's first form, *subj-blob subj-refwd, at the start; its end or npos.
std::size_t refwd_leader_end(std::string_view s) {
  std::size_t pos = 0;
  for (std::size_t e; (e = blob_end(s, pos)) != std::string_view::npos;) pos = e;
  return refwd_end(s, pos, false);
}

// The name of a thread whose root has no Message-ID: the content_id of its
// bytes as thread_input found it, else of its Subject and Date.
std::int64_t message_content_id(const ThreadInput& in) {
  if (in.content_id != 0) return in.content_id;
  return content_id(in.subject + "\n" + std::to_string(in.date));
}

// A thread's name by its first message: its Message-ID, else its content.
std::int64_t message_conversation_id(const ThreadInput& in) {
  const std::string_view id = own_message_id(in.message_id);
  return id.empty() ? message_content_id(in) : conversation_id(id);
}

struct Key {
  std::int64_t date = 0;
  std::uint32_t seq = 0;
  bool operator<(const Key& o) const { return date != o.date ? date < o.date : seq < o.seq; }
};

class Threader {
 public:
  explicit Threader(const std::vector<ThreadInput>& in) : in_(in) {}

  Threads run() {
    link();
    std::vector<std::uint32_t> roots;
    for (std::uint32_t b = 0; b < box_msg_.size(); ++b)
      if (parent_[b] < 0) roots.push_back(b);
    build_children();
    roots = prune(std::move(roots));
    sort_all(roots);
    roots = merge_by_subject(std::move(roots));
    sort_all(roots);
    return result(roots);
  }

 private:
  const std::vector<ThreadInput>& in_;
  std::vector<std::int32_t> box_msg_;  // message of each container, -1 for a dummy
  std::vector<std::string_view> box_id_;  // its msg-id ("" for a message without one)
  // Of a root: the container whose msg-id names its thread (conversation_id):
  // itself, or the dummy above it that pruning or a merge took away.
  std::vector<std::uint32_t> origin_;
  std::vector<std::int32_t> parent_;
  std::vector<std::vector<std::uint32_t>> kids_;
  std::vector<Key> key_;
  std::vector<const BaseSubject*> base_;  // of each message
  std::vector<BaseSubject> found_;        // those its input did not give (reserved: stable)

  std::uint32_t new_box(std::int32_t message, std::string_view id = {}) {
    const auto b = static_cast<std::uint32_t>(box_msg_.size());
    box_msg_.push_back(message);
    box_id_.push_back(id);
    origin_.push_back(b);
    parent_.push_back(-1);
    return b;
  }

  // Is `a` at or below `b`? Walks up from a; past kMaxThreadDepth says yes,
  // so that no link is made that could not be checked.
  bool at_or_below(std::uint32_t a, std::uint32_t b) const {
    std::int64_t x = a;
    for (std::size_t steps = 0; x >= 0; ++steps) {
      if (steps > kMaxThreadDepth || static_cast<std::uint32_t>(x) == b) return true;
      x = parent_[static_cast<std::size_t>(x)];
    }
    return false;
  }

  // Step 1: containers and parent links.
  void link() {
    std::unordered_map<std::string_view, std::uint32_t> by_id;
    by_id.reserve(in_.size() * 2);
    auto box_of = [&](std::string_view id) {
      auto [it, fresh] = by_id.try_emplace(id, 0);
      if (fresh) it->second = new_box(-1, id);
      return it->second;
    };
    for (std::uint32_t i = 0; i < in_.size(); ++i) {
      const ThreadInput& m = in_[i];
      const std::string_view own_id = own_message_id(m.message_id);
      std::uint32_t own;
      if (own_id.empty()) {
        own = new_box(static_cast<std::int32_t>(i));  // no Message-ID: unique
      } else {
        own = box_of(own_id);
        if (box_msg_[own] >= 0) {
          // A duplicate: unique, but named by the Message-ID all the same,
          // as the same message read twice is the same conversation.
          own = new_box(static_cast<std::int32_t>(i), own_id);
        } else {
          box_msg_[own] = static_cast<std::int32_t>(i);
        }
      }
      auto refs = message_ids(m.references);
      if (refs.empty()) {
        auto irt = message_ids(m.in_reply_to);
        if (!irt.empty()) refs.push_back(irt.front());
      }
      if (refs.size() > kMaxThreadReferences)
        refs.erase(refs.begin(), refs.end() - static_cast<std::ptrdiff_t>(kMaxThreadReferences));
      // (A) each reference the parent of the next, unless already linked or a loop
      std::int64_t prev = -1;
      for (std::string_view r : refs) {
        const std::uint32_t cur = box_of(r);
        if (prev >= 0 && static_cast<std::uint32_t>(prev) != cur && parent_[cur] < 0 &&
            !at_or_below(static_cast<std::uint32_t>(prev), cur)) {
          parent_[cur] = static_cast<std::int32_t>(prev);
        }
        prev = cur;
      }
      // (B) the message a child of the last reference, any earlier guess undone
      parent_[own] = -1;
      if (prev >= 0 && static_cast<std::uint32_t>(prev) != own &&
          !at_or_below(static_cast<std::uint32_t>(prev), own)) {
        parent_[own] = static_cast<std::int32_t>(prev);
      }
    }
  }

  void build_children() {
    kids_.assign(box_msg_.size(), {});
    for (std::uint32_t b = 0; b < box_msg_.size(); ++b)
      if (parent_[b] >= 0) kids_[static_cast<std::size_t>(parent_[b])].push_back(b);
  }

  // Calls f(node) for every node under `roots`, children before parents.
  template <typename F>
  void post_order(const std::vector<std::uint32_t>& roots, F&& f) {
    std::vector<std::pair<std::uint32_t, std::size_t>> stack;
    for (std::uint32_t r : roots) {
      stack.push_back({r, 0});
      while (!stack.empty()) {
        auto& [node, next] = stack.back();
        if (next < kids_[node].size()) {
          const std::uint32_t c = kids_[node][next++];
          stack.push_back({c, 0});
        } else {
          const std::uint32_t done = node;
          stack.pop_back();
          f(done);
        }
      }
    }
  }

  // Step 3: dummies without children go; a dummy's children take its place,
  // except at the top where a dummy with several children stays.
  std::vector<std::uint32_t> prune(std::vector<std::uint32_t> roots) {
    post_order(roots, [&](std::uint32_t n) {
      std::vector<std::uint32_t> kept;
      kept.reserve(kids_[n].size());
      for (std::uint32_t c : kids_[n]) {
        if (box_msg_[c] >= 0) {
          kept.push_back(c);
        } else {
          kept.insert(kept.end(), kids_[c].begin(), kids_[c].end());
          kids_[c].clear();
        }
      }
      kids_[n] = std::move(kept);
    });
    std::vector<std::uint32_t> out;
    for (std::uint32_t r : roots) {
      if (box_msg_[r] >= 0 || kids_[r].size() > 1) {
        out.push_back(r);
      } else if (kids_[r].size() == 1) {
        // The message standing in for a missing root keeps the root's name,
        // so that a run holding the root names the thread alike.
        origin_[kids_[r][0]] = origin_[r];
        out.push_back(kids_[r][0]);
      }
    }
    return out;
  }

  // Steps 4 and 6 (and 7 for the roots): siblings by sent date, a dummy by
  // its first child's.
  void sort_all(std::vector<std::uint32_t>& roots) {
    key_.resize(box_msg_.size());
    auto by_key = [&](std::uint32_t a, std::uint32_t b) { return key_[a] < key_[b]; };
    post_order(roots, [&](std::uint32_t n) {
      std::sort(kids_[n].begin(), kids_[n].end(), by_key);
      if (box_msg_[n] >= 0) {
        const auto i = static_cast<std::uint32_t>(box_msg_[n]);
        key_[n] = {in_[i].date, i};
      } else if (!kids_[n].empty()) {
        key_[n] = key_[kids_[n].front()];
      }
    });
    std::stable_sort(roots.begin(), roots.end(), by_key);
  }

  std::int32_t first_message(std::uint32_t n) const {
    while (box_msg_[n] < 0 && !kids_[n].empty()) n = kids_[n].front();
    return box_msg_[n];
  }
  bool is_reply(std::uint32_t n) const {
    return box_msg_[n] >= 0 && base_[static_cast<std::size_t>(box_msg_[n])]->reply_or_forward;
  }

  // Step 5: root threads whose subjects agree are gathered.
  std::vector<std::uint32_t> merge_by_subject(std::vector<std::uint32_t> roots) {
    base_.resize(in_.size());
    found_.reserve(in_.size());
    for (std::size_t i = 0; i < in_.size(); ++i) {
      if (!in_[i].base) found_.push_back(base_subject(in_[i].subject));
      base_[i] = in_[i].base ? &*in_[i].base : &found_.back();
    }
    auto subject_of = [&](std::uint32_t r) -> const std::string* {
      const std::int32_t m = first_message(r);
      if (m < 0) return nullptr;
      const std::string& s = base_[static_cast<std::size_t>(m)]->text;
      return s.empty() ? nullptr : &s;
    };
    std::unordered_map<std::string_view, std::uint32_t> table;
    for (std::uint32_t r : roots) {  // (B)
      const std::string* s = subject_of(r);
      if (!s) continue;
      auto [it, fresh] = table.try_emplace(*s, r);
      if (fresh) continue;
      const std::uint32_t old = it->second;
      if (box_msg_[old] >= 0 && (box_msg_[r] < 0 || (is_reply(old) && !is_reply(r))))
        it->second = r;
    }
    std::vector<char> gone(box_msg_.size(), 0);
    std::vector<std::pair<std::uint32_t, std::uint32_t>> replaced;  // old root -> dummy
    for (std::uint32_t r : roots) {  // (C)
      const std::string* s = subject_of(r);
      if (!s) continue;
      auto it = table.find(*s);
      const std::uint32_t t = it->second;
      if (t == r) continue;
      const bool r_dummy = box_msg_[r] < 0, t_dummy = box_msg_[t] < 0;
      if (r_dummy && t_dummy) {
        kids_[t].insert(kids_[t].end(), kids_[r].begin(), kids_[r].end());
        kids_[r].clear();
      } else if (t_dummy || (is_reply(r) && !is_reply(t))) {
        kids_[t].push_back(r);
      } else {
        const std::uint32_t d = new_box(-1);
        origin_[d] = origin_[t];  // named after the thread the others join
        kids_.push_back({t, r});
        gone.push_back(0);
        replaced.emplace_back(t, d);
        it->second = d;
      }
      gone[r] = 1;
    }
    std::vector<std::uint32_t> out;
    for (std::uint32_t r : roots) {
      if (gone[r]) continue;
      std::uint32_t x = r;
      // a root put under a new dummy is replaced by it (perhaps more than once)
      for (bool again = true; again;) {
        again = false;
        for (const auto& [old, d] : replaced)
          if (old == x) {
            x = d;
            again = true;
            break;
          }
      }
      out.push_back(x);
    }
    return out;
  }

  // The conversation_id of the thread whose naming container is `origin`
  // (and whose root is `root`).
  std::int64_t name(std::uint32_t origin, std::uint32_t root) const {
    if (!box_id_[origin].empty()) return conversation_id(box_id_[origin]);
    std::int32_t m = box_msg_[origin];
    if (m < 0) m = first_message(root);  // not so: a dummy always has an id
    return m < 0 ? 0 : message_content_id(in_[static_cast<std::size_t>(m)]);
  }

  Threads result(const std::vector<std::uint32_t>& roots) {
    Threads t;
    t.nodes.resize(box_msg_.size());
    for (std::size_t b = 0; b < box_msg_.size(); ++b) {
      t.nodes[b].message = box_msg_[b];
      t.nodes[b].children = std::move(kids_[b]);  // the forest is done with
    }
    t.roots = roots;
    t.ids.reserve(roots.size());
    for (std::uint32_t r : roots) t.ids.push_back(name(origin_[r], r));
    t.thread.assign(in_.size(), 0);
    t.parent.assign(in_.size(), -1);
    std::vector<std::pair<std::uint32_t, std::int32_t>> stack;  // node, nearest message above
    for (std::uint32_t k = 0; k < roots.size(); ++k) {
      stack.push_back({roots[k], -1});
      while (!stack.empty()) {
        auto [n, above] = stack.back();
        stack.pop_back();
        std::int32_t here = above;
        if (box_msg_[n] >= 0) {
          const auto m = static_cast<std::size_t>(box_msg_[n]);
          t.thread[m] = k;
          t.parent[m] = above;
          here = box_msg_[n];
        }
        for (std::uint32_t c : t.nodes[n].children) stack.push_back({c, here});
      }
    }
    return t;
  }
};

}  // namespace

std::int64_t content_id(std::string_view bytes) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int size = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), md.data(), &size, EVP_sha256(), nullptr) != 1 ||
      size < 8)
    throw std::runtime_error("SHA-256 is not available");
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < 8; ++i) v = (v << 8) | md[i];
  return static_cast<std::int64_t>(v & 0x7fff'ffff'ffff'ffffULL);
}

std::int64_t conversation_id(std::string_view message_id) {
  return content_id(bracketed(message_id));
}

std::string_view own_message_id(std::string_view value) {
  auto ids = message_ids(value);
  if (!ids.empty()) return ids.front();
  // "Message-ID: id@host" without its brackets, as some send
  const std::string_view bare = trim(value);
  if (!bare.empty() && bare.find_first_of(" \t\r\n<>") == std::string_view::npos) return bare;
  return {};
}

BaseSubject base_subject(std::string_view subject) {
  BaseSubject out;
  // (1) white space: one space for each run of SP, HTAB, CR, LF
  std::string s;
  s.reserve(subject.size());
  for (char c : subject) {
    const bool ws = c == ' ' || c == '\t' || c == '\r' || c == '\n';
    if (!ws) s.push_back(c);
    else if (s.empty() || s.back() != ' ') s.push_back(' ');
  }
  for (;;) {
    // (2) trailing subj-trailer: "(fwd)" / WSP
    for (;;) {
      if (!s.empty() && s.back() == ' ') {
        s.pop_back();
      } else if (s.size() >= 5 && iequals(std::string_view(s).substr(s.size() - 5), "(fwd)")) {
        s.resize(s.size() - 5);
        out.reply_or_forward = true;
      } else {
        break;
      }
    }
    // (3)-(5) leading subj-leader, then a subj-blob that leaves something
    for (bool changed = true; changed;) {
      changed = false;
      while (!s.empty() && s.front() == ' ') {
        s.erase(0, 1);
        changed = true;
      }
      if (std::size_t e = refwd_leader_end(s); e != std::string_view::npos) {
        s.erase(0, e);
        out.reply_or_forward = true;
        changed = true;
        continue;
      }
      if (std::size_t e = blob_end(s, 0); e != std::string_view::npos) {
        if (std::string_view(s).substr(e).find_first_not_of(' ') != std::string_view::npos) {
          s.erase(0, e);
          changed = true;
        }
      }
    }
    // (6) "[fwd: ...]": unwrap and start over from (2)
    if (s.size() >= 6 && istarts(s, "[fwd:") && s.back() == ']') {
      s = s.substr(5, s.size() - 6);
      out.reply_or_forward = true;
      continue;
    }
    break;
  }
  for (char& c : s) c = ascii_lower(c);
  out.text = std::move(s);
  return out;
}

std::vector<std::string_view> message_ids(std::string_view value) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  int comment = 0;
  while (i < value.size()) {
    const char c = value[i];
    if (c == '(') {
      ++comment;
    } else if (c == ')' && comment > 0) {
      --comment;
    } else if (c == '<' && comment == 0) {
      const std::size_t close = value.find('>', i + 1);
      if (close == std::string_view::npos) break;
      std::string_view id = value.substr(i + 1, close - i - 1);
      // white space folded into an id is no part of it (RFC 5322 §3.6.4 has none)
      if (!id.empty() && id.find_first_of(" \t\r\n<") == std::string_view::npos) out.push_back(id);
      i = close + 1;
      continue;
    }
    ++i;
  }
  return out;
}

ThreadInput thread_input(const ParsedMessage& m) {
  ThreadInput in;
  if (m.parts.empty()) return in;
  auto raw = [&](const char* name) -> std::string {
    const HeaderField* h = m.find_header(0, name);
    return h ? std::string(m.bytes(h->value)) : std::string();
  };
  in.message_id = raw("message-id");
  if (own_message_id(in.message_id).empty()) in.content_id = content_id(m.raw);
  in.in_reply_to = raw("in-reply-to");
  in.references = raw("references");
  in.subject = decode_header(raw("subject"));
  in.base = base_subject(in.subject);
  if (const HeaderField* h = m.find_header(0, "date")) {
    if (auto d = parse_date(m.bytes(h->value))) in.date = unix_time(*d);
  }
  return in;
}

Threads thread_references(const std::vector<ThreadInput>& messages) {
  return Threader(messages).run();
}

std::string subject_without_prefixes(std::string_view subject) {
  std::string tags;  // "[list] " blobs met before a prefix, kept
  std::string_view rest = trim(subject);
  for (;;) {
    std::size_t pos = 0;
    for (std::size_t e; (e = blob_end(rest, pos)) != std::string_view::npos;) pos = e;
    const std::size_t end = refwd_end(rest, pos, true);
    if (end == std::string_view::npos) break;
    const std::string_view blobs = rest.substr(0, pos);
    rest = trim(rest.substr(end));
    if (!blobs.empty() && !istarts_with(rest, blobs) &&
        std::string_view(tags).find(blobs) == std::string_view::npos)
      tags.append(blobs);
  }
  // A trailing "(fwd)" (RFC 5256 §2.1 step 2) goes too.
  while (rest.size() >= 5 && iequals(rest.substr(rest.size() - 5), "(fwd)"))
    rest = trim(rest.substr(0, rest.size() - 5));
  if (!tags.empty() && tags.back() != ' ' && !rest.empty()) tags.push_back(' ');
  return tags + std::string(rest);
}

// Appends rather than operator+, which GCC 12 warns about falsely at -O3.
std::string bracketed(std::string_view id) {
  std::string out;
  out.reserve(id.size() + 2);
  out.push_back('<');
  out.append(id);
  out.push_back('>');
  return out;
}

Threads thread_ordered_subject(const std::vector<ThreadInput>& messages) {
  const std::size_t n = messages.size();
  std::vector<std::string> base(n);
  for (std::size_t i = 0; i < n; ++i)
    base[i] = messages[i].base ? messages[i].base->text : base_subject(messages[i].subject).text;
  std::vector<std::uint32_t> order(n);
  for (std::uint32_t i = 0; i < n; ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
    if (base[a] != base[b]) return base[a] < base[b];
    return messages[a].date < messages[b].date;
  });
  Threads t;
  t.nodes.resize(n);
  t.thread.assign(n, 0);
  t.parent.assign(n, -1);
  for (std::uint32_t i = 0; i < n; ++i) t.nodes[i].message = static_cast<std::int32_t>(i);
  for (std::size_t k = 0; k < n;) {
    const std::uint32_t first = order[k];
    std::size_t e = k + 1;
    while (e < n && base[order[e]] == base[first]) {
      t.nodes[first].children.push_back(order[e]);
      t.parent[order[e]] = static_cast<std::int32_t>(first);
      ++e;
    }
    t.roots.push_back(first);
    k = e;
  }
  std::stable_sort(t.roots.begin(), t.roots.end(), [&](std::uint32_t a, std::uint32_t b) {
    return messages[a].date != messages[b].date ? messages[a].date < messages[b].date : a < b;
  });
  for (std::uint32_t r = 0; r < t.roots.size(); ++r) {
    t.ids.push_back(message_conversation_id(messages[t.roots[r]]));
    t.thread[t.roots[r]] = r;
    for (std::uint32_t c : t.nodes[t.roots[r]].children) t.thread[c] = r;
  }
  return t;
}

}  // namespace mailroom::mime
