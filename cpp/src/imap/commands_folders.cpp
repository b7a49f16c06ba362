// Commands on folders (RFC 9051 §6.3): SELECT, EXAMINE, CREATE, DELETE,
// RENAME, SUBSCRIBE, UNSUBSCRIBE, LIST, LSUB, NAMESPACE, STATUS, APPEND.
#include <algorithm>
#include <ctime>
#include <set>

#include "mailroom/imap/arguments.hpp"
#include "mailroom/imap/date_time.hpp"
#include "mailroom/imap/fetch_items.hpp"
#include "mailroom/imap/server_session.hpp"
#include "mailroom/mutf7.hpp"
#include "mailroom/store/flags.hpp"

namespace mailroom::imap {

namespace {

// LIST wildcards (RFC 9051 §6.3.9): '*' matches anything, '%' anything but
// the hierarchy separator. Dynamic programming: linear in name x pattern.
bool wildcard_match(std::string_view pattern, std::string_view name) {
  std::vector<char> row(name.size() + 1, 0), next(name.size() + 1, 0);
  row[0] = 1;
  for (char p : pattern) {
    std::fill(next.begin(), next.end(), 0);
    if (p == '*' || p == '%') {
      bool reach = false;
      for (std::size_t j = 0; j <= name.size(); ++j) {
        if (row[j]) reach = true;
        next[j] = reach;
        if (p == '%' && j < name.size() && name[j] == store::kFolderSeparator) reach = false;
      }
    } else {
      for (std::size_t j = 0; j < name.size(); ++j)
        if (row[j] && name[j] == p) next[j + 1] = 1;
    }
    row.swap(next);
  }
  return row[name.size()] != 0;
}

}  // namespace

std::string ServerSession::mailbox(Arguments& a) {
  const std::string wire = a.astring();
  std::string name;
  try {
    name = from_modified_utf7(wire);
  } catch (const InvalidModifiedUtf7& e) {
    a.fail(std::string("Invalid mailbox name (RFC 3501 §5.1.3): ") + e.what());
  }
  if (iequals(name, "INBOX")) return "INBOX";
  return name;
}

std::string ServerSession::wire_name(std::string_view name) const {
  std::string out;
  try {
    append_string(out, to_modified_utf7(name));
  } catch (const InvalidModifiedUtf7&) {
    append_string(out, name);  // the store keeps UTF-8 only: not reached
  }
  return out;
}

void ServerSession::cmd_select(const std::string& tag, Arguments& a, bool read_only,
                               std::vector<Output>& out) {
  a.sp();
  const std::string name = mailbox(a);
  a.end();
  // RFC 9051 §6.3.2: a SELECT that fails leaves no mailbox selected.
  deselect();
  const std::string folder = store::checked_folder_name(name);
  select_view(folder, read_only);
  const auto status = store_.status(account_, folder_);
  std::set<std::string> keywords;
  std::size_t first_unseen = 0;
  for (std::size_t i = 0; i < view_.size(); ++i) {
    keywords.insert(view_[i]->keywords.begin(), view_[i]->keywords.end());
    if (!first_unseen && !(view_[i]->flags & store::kSeen)) first_unseen = i + 1;
  }
  std::string flags = "\\Answered \\Flagged \\Deleted \\Seen \\Draft";
  for (const auto& k : keywords) flags += " " + k;
  untagged("FLAGS (" + flags + ")");
  untagged(read_only ? std::string("OK [PERMANENTFLAGS ()] Read-only mailbox")
                     : "OK [PERMANENTFLAGS (" + flags + " \\*)] Flags permitted");
  untagged(std::to_string(view_.size()) + " EXISTS");
  claim_recent();
  untagged(std::to_string(recent_count()) + " RECENT");
  if (first_unseen) untagged("OK [UNSEEN " + std::to_string(first_unseen) + "] First unseen");
  untagged("OK [UIDVALIDITY " + std::to_string(status.uidvalidity) + "] UIDs valid");
  untagged("OK [UIDNEXT " + std::to_string(status.uidnext) + "] Predicted next UID");
  untagged("OK [HIGHESTMODSEQ " + std::to_string(status.highestmodseq) + "] Highest");
  tagged(out, tag, "OK",
         std::string(read_only ? "[READ-ONLY] EXAMINE" : "[READ-WRITE] SELECT") + " completed");
}

void ServerSession::cmd_create(const std::string& tag, Arguments& a, std::vector<Output>& out) {
  a.sp();
  std::string name = mailbox(a);
  a.end();
  // RFC 9051 §6.3.4: a trailing separator says subfolders are to come.
  if (name.size() > 1 && name.back() == store::kFolderSeparator) name.pop_back();
  try {
    store_.create_folder(account_, name);
  } catch (const store::FolderExists&) {
    return tagged(out, tag, "NO", "[ALREADYEXISTS] Mailbox exists");
  } catch (const store::InvalidFolderName& e) {
    return tagged(out, tag, "NO", std::string("[CANNOT] ") + e.what());
  }
  if (state_ == State::Selected) sync(true);
  tagged(out, tag, "OK", "CREATE completed");
}

void ServerSession::cmd_delete(const std::string& tag, Arguments& a, std::vector<Output>& out) {
  a.sp();
  const std::string name = mailbox(a);
  a.end();
  try {
    store_.delete_folder(account_, name);
  } catch (const store::NoSuchFolder&) {
    return tagged(out, tag, "NO", "[NONEXISTENT] No such mailbox");
  } catch (const store::InvalidFolderName&) {
    return tagged(out, tag, "NO", "[NONEXISTENT] No such mailbox");
  } catch (const store::FolderNotAllowed& e) {
    return tagged(out, tag, "NO", std::string("[CANNOT] ") + e.what());
  }
  handler_.subscribe(account_, name, false);
  if (state_ == State::Selected) sync(true);
  tagged(out, tag, "OK", "DELETE completed");
}

void ServerSession::cmd_rename(const std::string& tag, Arguments& a, std::vector<Output>& out) {
  a.sp();
  const std::string from = mailbox(a);
  a.sp();
  const std::string to = mailbox(a);
  a.end();
  try {
    store_.rename_folder(account_, from, to);
  } catch (const store::NoSuchFolder&) {
    return tagged(out, tag, "NO", "[NONEXISTENT] No such mailbox");
  } catch (const store::FolderExists&) {
    return tagged(out, tag, "NO", "[ALREADYEXISTS] The new name exists");
  } catch (const store::FolderNotAllowed& e) {
    return tagged(out, tag, "NO", std::string("[CANNOT] ") + e.what());
  } catch (const store::InvalidFolderName& e) {
    return tagged(out, tag, "NO", std::string("[CANNOT] ") + e.what());
  }
  if (state_ == State::Selected) sync(true);
  tagged(out, tag, "OK", "RENAME completed");
}

void ServerSession::cmd_subscribe(const std::string& tag, Arguments& a, bool on,
                                  std::vector<Output>& out) {
  a.sp();
  std::string name = mailbox(a);
  a.end();
  if (on) {
    name = store::checked_folder_name(name);
    store_.status(account_, name);  // NONEXISTENT unless it exists
  }
  handler_.subscribe(account_, name, on);
  tagged(out, tag, "OK", on ? "SUBSCRIBE completed" : "UNSUBSCRIBE completed");
}

void ServerSession::cmd_list(const std::string& tag, Arguments& a, bool lsub,
                             std::vector<Output>& out) {
  a.sp();
  if (a.peek('(')) a.fail("LIST selection options need LIST-EXTENDED, which is not offered");
  const std::string reference = a.astring();
  a.sp();
  const std::string pattern_wire = a.list_mailbox();
  a.end();
  const char* verb = lsub ? "LSUB" : "LIST";
  if (pattern_wire.empty()) {
    // RFC 9051 §6.3.9: the hierarchy delimiter and root name.
    if (!lsub) untagged(std::string(verb) + " (\\Noselect) \"/\" \"\"");
    return tagged(out, tag, "OK", std::string(verb) + " completed");
  }
  std::string ref, pattern;
  try {
    ref = from_modified_utf7(reference);
    pattern = from_modified_utf7(pattern_wire);
  } catch (const InvalidModifiedUtf7&) {
    return tagged(out, tag, "OK", std::string(verb) + " completed");  // names no folder
  }
  if (!ref.empty() && pattern.front() != store::kFolderSeparator) {
    if (ref.back() != store::kFolderSeparator) ref.push_back(store::kFolderSeparator);
    pattern = ref + pattern;
  }
  if (istarts_with(pattern, "INBOX") &&
      (pattern.size() == 5 || pattern[5] == store::kFolderSeparator))
    pattern.replace(0, 5, "INBOX");

  const auto folders = store_.list_folders(account_);
  std::map<std::string, std::string> exists;  // name -> special use
  for (const auto& f : folders) exists[f.name] = f.special_use;
  std::set<std::string> names;  // folders and their implied parents
  for (const auto& [n, use] : exists) {
    names.insert(n);
    for (std::size_t p = n.find(store::kFolderSeparator); p != std::string::npos;
         p = n.find(store::kFolderSeparator, p + 1))
      names.insert(n.substr(0, p));
  }
  auto has_children = [&](const std::string& n) {
    auto it = names.upper_bound(n);
    return it != names.end() && it->size() > n.size() && it->compare(0, n.size(), n) == 0 &&
           (*it)[n.size()] == store::kFolderSeparator;
  };
  std::set<std::string> subscribed;
  if (lsub) subscribed = handler_.subscriptions(account_);
  const std::set<std::string>& candidates = lsub ? subscribed : names;
  for (const auto& n : candidates) {
    if (!wildcard_match(pattern, n)) continue;
    std::string attrs;
    auto add = [&](std::string_view at) {
      if (!attrs.empty()) attrs.push_back(' ');
      attrs += at;
    };
    auto e = exists.find(n);
    if (e == exists.end()) add("\\Noselect");
    if (!lsub) add(has_children(n) ? "\\HasChildren" : "\\HasNoChildren");
    if (!lsub && e != exists.end() && !e->second.empty()) add(e->second);
    untagged(std::string(verb) + " (" + attrs + ") \"/\" " + wire_name(n));
  }
  tagged(out, tag, "OK", std::string(verb) + " completed");
}

void ServerSession::cmd_namespace(const std::string& tag, Arguments& a,
                                  std::vector<Output>& out) {
  a.end();
  untagged("NAMESPACE ((\"\" \"/\")) NIL NIL");
  tagged(out, tag, "OK", "NAMESPACE completed");
}

void ServerSession::cmd_status(const std::string& tag, Arguments& a, std::vector<Output>& out) {
  a.sp();
  const std::string name = mailbox(a);
  a.sp();
  a.expect('(');
  std::vector<std::string> items;
  while (true) {
    std::string item = a.atom();
    for (char& c : item) c = ascii_upper(c);
    static const char* const known[] = {"MESSAGES", "RECENT",  "UIDNEXT", "UIDVALIDITY",
                                        "UNSEEN",   "DELETED", "SIZE",    "HIGHESTMODSEQ"};
    if (std::none_of(std::begin(known), std::end(known), [&](const char* k) { return item == k; }))
      a.fail("Unknown STATUS item " + item);
    items.push_back(item);
    if (a.take(')')) break;
    a.sp();
  }
  a.end();
  store::FolderStatus st;
  try {
    st = store_.status(account_, store::checked_folder_name(name));
  } catch (const store::StoreError&) {
    return tagged(out, tag, "NO", "[NONEXISTENT] No such mailbox");
  }
  std::string line = "STATUS " + wire_name(store::checked_folder_name(name)) + " (";
  for (std::size_t i = 0; i < items.size(); ++i) {
    const std::string& it = items[i];
    if (i) line.push_back(' ');
    std::uint64_t v = 0;
    if (it == "MESSAGES") v = st.messages;
    else if (it == "UIDNEXT") v = st.uidnext;
    else if (it == "UIDVALIDITY") v = st.uidvalidity;
    else if (it == "UNSEEN") v = st.unseen;
    else if (it == "DELETED") v = st.deleted;
    else if (it == "SIZE") v = st.size;
    else if (it == "RECENT") {
      // The messages no session has claimed yet (claim_recent with 0 asks).
      const std::string folder = store::checked_folder_name(name);
      const std::uint32_t claimed = handler_.claim_recent(account_, folder, st.uidvalidity, 0);
      if (st.uidnext > claimed + 1)
        for (const auto& m : store_.messages(account_, folder)) v += m->uid > claimed ? 1 : 0;
    }
    else if (it == "HIGHESTMODSEQ") v = st.highestmodseq;
    line += it + " " + std::to_string(v);
  }
  untagged(line + ")");
  if (state_ == State::Selected) sync(true);
  tagged(out, tag, "OK", "STATUS completed");
}

void ServerSession::cmd_append(const std::string& tag, Arguments& a, std::vector<Output>& out) {
  a.sp();
  const std::string name = mailbox(a);
  a.sp();
  store::AppendOptions options;
  if (a.peek('(')) {
    for (auto& f : a.flag_list())
      if (!iequals(f, "\\Recent")) options.flags.push_back(std::move(f));
    a.sp();
  }
  if (a.peek('"')) {
    options.internal_date = parse_date_time(a.string());
    a.sp();
  }
  bool binary = false;
  std::string message = a.append_data(binary);
  a.end();
  if (message.empty()) return tagged(out, tag, "NO", "[CANNOT] An empty message is not stored");
  if (message.size() > cfg_.max_literal)
    return tagged(out, tag, "NO", "[TOOBIG] Message too big");
  try {
    store::parse_flags(options.flags);
  } catch (const store::InvalidFlag& e) {
    return tagged(out, tag, "BAD", e.what());
  }
  store::MessagePtr m;
  std::string folder;
  try {
    folder = store::checked_folder_name(name);
    store_.status(account_, folder);
  } catch (const store::StoreError&) {
    // RFC 9051 §6.3.12: TRYCREATE when the folder could be made.
    return tagged(out, tag, "NO", "[TRYCREATE] No such mailbox");
  }
  try {
    m = store_.append(account_, folder, std::move(message), options);
  } catch (const store::LimitExceeded& e) {
    return tagged(out, tag, "NO", std::string("[OVERQUOTA] ") + e.what());
  }
  ++appended_;
  const std::uint32_t validity = store_.status(account_, folder).uidvalidity;
  if (state_ == State::Selected) sync(true);
  tagged(out, tag, "OK",
         "[APPENDUID " + std::to_string(validity) + " " + std::to_string(m->uid) +
             "] APPEND completed");
}

}  // namespace mailroom::imap
