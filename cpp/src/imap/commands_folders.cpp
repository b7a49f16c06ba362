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
#include "mailroom/utf8.hpp"

namespace mailroom::imap {

namespace {

// Messages in one MULTIAPPEND (RFC 3502); their octets are bounded apart
// (Config::max_command_size + max_literal for the command).
constexpr std::size_t kMaxMultiappend = 1000;

// Whether the header section of a message holds an octet over 0x7f.
bool has_8bit_header(std::string_view message) {
  std::size_t end = message.find("\r\n\r\n");
  if (end == std::string_view::npos) end = message.find("\n\n");
  const std::string_view head = message.substr(0, end);
  return std::any_of(head.begin(), head.end(),
                     [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
}

}  // namespace

std::string ServerSession::mailbox(Arguments& a) {
  const std::string wire = a.astring();
  std::string name;
  // RFC 9051 §5.1 (IMAP4rev2) and RFC 6855 §3 (UTF8=ACCEPT): mailboxes are
  // named in UTF-8, not modified UTF-7.
  if (rev2_ || utf8_) {
    for (std::size_t i = 0; i < wire.size();) {
      const std::size_t n = utf8_sequence(wire, i);
      if (n == 0) a.fail("Invalid mailbox name (not UTF-8)");
      i += n;
    }
    return iequals(wire, "INBOX") ? std::string("INBOX") : wire;
  }
  try {
    name = from_modified_utf7(wire);
  } catch (const InvalidModifiedUtf7& e) {
    a.fail(std::string("Invalid mailbox name (RFC 3501 §5.1.3): ") + e.what());
  }
  if (iequals(name, "INBOX")) return "INBOX";
  return name;
}

std::string ServerSession::wire_name(std::string_view name) const {
  if (utf8_) return utf8_wire_name(name);
  std::string out;
  if (rev2_) {
    append_string(out, name);
    return out;
  }
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
  const SelectSync params = read_select_params(a);
  a.end();
  // RFC 7162 §3.2.11, RFC 9051 §7.1: CLOSED tells where the old mailbox's
  // responses end.
  if (state_ == State::Selected && (qresync_ || rev2_)) untagged("OK [CLOSED] Previous mailbox closed");
  // RFC 9051 §6.3.2: a SELECT that fails leaves no mailbox selected.
  deselect();
  const std::string folder = store::checked_folder_name(name);
  select_view(folder, read_only);
  const auto status = store_.status(account_, folder_);
  std::set<std::string> keywords;
  std::size_t first_unseen = 0;
  for (std::size_t i = 0; i < view_.size(); ++i) {
    for (auto& k : view_[i]->keywords()) keywords.insert(std::move(k));
    if (!first_unseen && !(view_[i]->flags & store::kSeen)) first_unseen = i + 1;
  }
  std::string flags = "\\Answered \\Flagged \\Deleted \\Seen \\Draft";
  for (const auto& k : keywords) flags += " " + k;
  untagged("FLAGS (" + flags + ")");
  untagged(read_only ? std::string("OK [PERMANENTFLAGS ()] Read-only mailbox")
                     : "OK [PERMANENTFLAGS (" + flags + " \\*)] Flags permitted");
  untagged(std::to_string(view_.size()) + " EXISTS");
  claim_recent();
  // IMAP4rev2 has neither RECENT nor the UNSEEN code (RFC 9051 Appendix E).
  if (!rev2_) untagged(std::to_string(recent_count()) + " RECENT");
  if (first_unseen && !rev2_) untagged("OK [UNSEEN " + std::to_string(first_unseen) + "] First unseen");
  untagged("OK [UIDVALIDITY " + std::to_string(status.uidvalidity) + "] UIDs valid");
  untagged("OK [UIDNEXT " + std::to_string(status.uidnext) + "] Predicted next UID");
  untagged("OK [HIGHESTMODSEQ " + std::to_string(status.highestmodseq) + "] Highest");
  if (rev2_) {
    // RFC 9051 §6.3.2: a LIST response with the mailbox's name and its
    // attributes.
    std::string attrs = "\\HasNoChildren", use;
    for (const auto& f : store_.list_folders(account_)) {
      if (f.name == folder_) use = f.special_use;
      if (f.name.size() > folder_.size() && f.name.compare(0, folder_.size(), folder_) == 0 &&
          f.name[folder_.size()] == store::kFolderSeparator)
        attrs = "\\HasChildren";
    }
    if (!use.empty()) attrs += " " + use;
    untagged("LIST (" + attrs + ") \"/\" " + wire_name(folder_));
  }
  qresync_select(params);
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
  // The subscriptions of the folder and of its children go with them to
  // the new names (as Dovecot does; RFC 9051 §6.3.6 lets a server keep
  // subscriptions by name, and a subscription to a name no folder has any
  // more is of no use). Renaming INBOX moves its messages and leaves INBOX:
  // its subscription stays.
  if (from != "INBOX") {
    for (const std::string& name : handler_.subscriptions(account_)) {
      const bool child = name.size() > from.size() && name.compare(0, from.size(), from) == 0 &&
                         name[from.size()] == store::kFolderSeparator;
      if (name != from && !child) continue;
      handler_.subscribe(account_, name, false);
      handler_.subscribe(account_, to + name.substr(from.size()), true);
    }
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

void ServerSession::cmd_namespace(const std::string& tag, Arguments& a,
                                  std::vector<Output>& out) {
  a.end();
  untagged("NAMESPACE ((\"\" \"/\")) NIL NIL");
  tagged(out, tag, "OK", "NAMESPACE completed");
}

std::vector<std::string> ServerSession::read_status_items(Arguments& a) {
  a.expect('(');
  std::vector<std::string> items;
  while (true) {
    std::string item = a.atom();
    for (char& c : item) c = ascii_upper(c);
    static const char* const known[] = {"MESSAGES", "RECENT",  "UIDNEXT", "UIDVALIDITY",
                                        "UNSEEN",   "DELETED", "SIZE",    "HIGHESTMODSEQ"};
    if (std::none_of(std::begin(known), std::end(known), [&](const char* k) { return item == k; }))
      a.fail("Unknown STATUS item " + item);
    // RFC 9051 §6.3.11 (status-att) and Appendix E: no RECENT in IMAP4rev2.
    if (rev2_ && item == "RECENT") a.fail("IMAP4rev2 has no STATUS item RECENT");
    items.push_back(item);
    if (items.size() > 20) a.fail("Too many STATUS items");
    if (a.take(')')) break;
    a.sp();
  }
  return items;
}

std::string ServerSession::status_line(const std::string& folder,
                                       const std::vector<std::string>& items) {
  const store::FolderStatus st = store_.status(account_, folder);
  std::string line = "STATUS " + wire_name(folder) + " (";
  for (std::size_t i = 0; i < items.size(); ++i) {
    const std::string& it = items[i];
    if (i) line.push_back(' ');
    std::uint64_t v = 0;
    if (it == "MESSAGES") v = st.messages;
    else if (it == "UIDNEXT") v = st.uidnext;
    else if (it == "UIDVALIDITY") v = st.uidvalidity;
    else if (it == "UNSEEN") v = st.unseen;
    else if (it == "DELETED") v = st.deleted;  // RFC 9051 §6.3.11
    else if (it == "SIZE") v = st.size;        // RFC 8438
    else if (it == "RECENT") {
      // The messages no session has claimed yet (claim_recent with 0 asks).
      const std::uint32_t claimed = handler_.claim_recent(account_, folder, st.uidvalidity, 0);
      if (st.uidnext > claimed + 1)
        for (const auto& m : store_.messages(account_, folder)) v += m->uid > claimed ? 1 : 0;
    }
    else if (it == "HIGHESTMODSEQ") v = st.highestmodseq, enable_condstore();  // RFC 7162 §3.1
    line += it + " " + std::to_string(v);
  }
  return line + ")";
}

void ServerSession::cmd_status(const std::string& tag, Arguments& a, std::vector<Output>& out) {
  a.sp();
  const std::string name = mailbox(a);
  a.sp();
  const std::vector<std::string> items = read_status_items(a);
  a.end();
  std::string line;
  try {
    line = status_line(store::checked_folder_name(name), items);
  } catch (const store::StoreError&) {
    return tagged(out, tag, "NO", "[NONEXISTENT] No such mailbox");
  }
  untagged(line);
  if (state_ == State::Selected) sync(true);
  tagged(out, tag, "OK", "STATUS completed");
}

void ServerSession::cmd_append(const std::string& tag, Arguments& a, std::vector<Output>& out) {
  a.sp();
  const std::string name = mailbox(a);
  // MULTIAPPEND (RFC 3502): append-message *(SP append-message), all of
  // them or none. Every check that can fail is made before the first one is
  // stored.
  struct Upload {
    std::string message;
    store::AppendOptions options;
    bool utf8 = false;  // sent as UTF8 (~{n})
  };
  std::vector<Upload> uploads;
  do {
    a.sp();
    // imapclient's multiappend() puts two spaces before each literal after
    // the first; accepted (the grammar has one SP there).
    if (!uploads.empty()) a.try_sp();
    Upload u;
    if (a.peek('(')) {
      for (auto& f : a.flag_list())
        if (!iequals(f, "\\Recent")) u.options.flags.push_back(std::move(f));
      a.sp();
    }
    if (a.peek('"')) {
      u.options.internal_date = parse_date_time(a.string());
      a.sp();
    }
    bool binary = false;
    if (a.take_word("UTF8")) {
      // RFC 6855 §4: append-data =/ "UTF8" SP "(" literal8 ")".
      if (!utf8_) a.fail("APPEND UTF8 needs ENABLE UTF8=ACCEPT first");
      a.sp();
      a.expect('(');
      if (!a.peek('~')) a.fail("UTF8 takes a literal8 (~{n})");
      u.message = a.append_data(binary);
      a.expect(')');
      u.utf8 = true;
    } else if (a.take_word("CATENATE")) {
      std::string refusal;
      u.message = catenate(a, refusal);
      if (!refusal.empty()) return tagged(out, tag, "NO", refusal);
    } else {
      u.message = a.append_data(binary);
    }
    uploads.push_back(std::move(u));
    if (uploads.size() > kMaxMultiappend) a.fail("Too many messages in one APPEND");
  } while (!a.at_end());
  for (Upload& u : uploads) {
    if (u.message.empty())
      return tagged(out, tag, "NO", "[CANNOT] An empty message is not stored");
    if (u.message.size() > cfg_.max_literal)
      return tagged(out, tag, "NO", "[TOOBIG] Message too big");
    // RFC 6855 §4: after ENABLE UTF8=ACCEPT, a message with 8-bit header
    // fields comes as UTF8 (~{n}); sessions without it append as before.
    if (utf8_ && !u.utf8 && has_8bit_header(u.message))
      return tagged(out, tag, "NO", "8-bit header fields need APPEND ... UTF8 (~{n})");
    try {
      store::parse_flags(u.options.flags);
    } catch (const store::InvalidFlag& e) {
      return tagged(out, tag, "BAD", e.what());
    }
  }
  std::string folder;
  try {
    folder = store::checked_folder_name(name);
    store_.status(account_, folder);
  } catch (const store::StoreError&) {
    // RFC 9051 §6.3.12: TRYCREATE when the folder could be made.
    return tagged(out, tag, "NO", "[TRYCREATE] No such mailbox");
  }
  // The messages go to the store, maybe on another thread (store_work.cpp).
  struct Appended {
    std::vector<std::uint32_t> uids;
    std::uint32_t validity = 0;
    std::string over_quota;  // why the store is full, when it is
  };
  auto result = std::make_shared<Appended>();
  auto work = [&store = store_, account = account_, folder, uploads = std::move(uploads),
               result]() mutable {
    auto& uids = result->uids;
    try {
      for (Upload& u : uploads)
        uids.push_back(store.append(account, folder, std::move(u.message), u.options)->uid);
    } catch (const store::StoreError& e) {
      // One could not be stored (the store is full): the ones before it go
      // again, so that none of them stays (RFC 3502 §3).
      if (!uids.empty()) {
        store.store(account, folder, uids, store::FlagChange::Add, {"\\Deleted"});
        store.expunge(account, folder, uids);
      }
      if (!dynamic_cast<const store::LimitExceeded*>(&e)) throw;
      result->over_quota = e.what();
      return;
    }
    result->validity = store.status(account, folder).uidvalidity;
  };
  run_store(tag, std::move(work), [this, tag, result](std::vector<Output>& o) {
    if (!result->over_quota.empty())
      return tagged(o, tag, "NO", "[OVERQUOTA] " + result->over_quota);
    appended_ += result->uids.size();
    if (state_ == State::Selected) sync(true);
    tagged(o, tag, "OK",
           "[APPENDUID " + std::to_string(result->validity) + " " + compact_set(result->uids) +
               "] APPEND completed");
  }, out);
}

}  // namespace mailroom::imap
