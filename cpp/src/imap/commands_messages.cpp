// Commands on the selected folder (RFC 9051 §6.4): CLOSE, UNSELECT,
// EXPUNGE, SEARCH, FETCH, STORE, COPY, MOVE and their UID forms.
#include <algorithm>
#include <ctime>

#include "mailroom/imap/arguments.hpp"
#include "mailroom/imap/date_time.hpp"
#include "mailroom/imap/fetch_items.hpp"
#include "mailroom/imap/search.hpp"
#include "mailroom/imap/sequence_set.hpp"
#include "mailroom/imap/server_session.hpp"
#include "mailroom/store/flags.hpp"

namespace mailroom::imap {

// One item of FETCH (RFC 9051 §6.4.5); NOTIFY's MessageNew takes them too.
struct FetchItem {
  enum Kind { Flags, Uid, InternalDate, Size, Modseq, Envelope, Body, BodyStructure, BodySection,
              Rfc822, Rfc822Header, Rfc822Text, Binary, BinarySize } kind = Flags;
  Section section;
  bool peek = false;
  bool partial = false;
  std::uint64_t offset = 0, length = 0;

  bool needs_content() const { return kind >= Envelope; }
  bool sets_seen() const {
    return ((kind == BodySection || kind == Binary) && !peek) || kind == Rfc822 ||
           kind == Rfc822Text;
  }
};

namespace {

std::string upper(std::string_view s) {
  std::string r(s);
  for (char& c : r) c = ascii_upper(c);
  return r;
}

FetchItem read_item(Arguments& a) {
  FetchItem it;
  std::string name;
  while (!a.at_end() && !a.peek(' ') && !a.peek(')') && !a.peek('[') && !a.peek('(')) {
    const char c = a.rest()[0];
    a.take(c);
    name.push_back(ascii_upper(c));
    if (name.size() > 20) break;
  }
  using K = FetchItem::Kind;
  if (name == "FLAGS") it.kind = K::Flags;
  else if (name == "UID") it.kind = K::Uid;
  else if (name == "INTERNALDATE") it.kind = K::InternalDate;
  else if (name == "RFC822.SIZE") it.kind = K::Size;
  else if (name == "MODSEQ") it.kind = K::Modseq;  // RFC 7162 §3.1.4
  else if (name == "ENVELOPE") it.kind = K::Envelope;
  else if (name == "BODYSTRUCTURE") it.kind = K::BodyStructure;
  else if (name == "RFC822") it.kind = K::Rfc822;
  else if (name == "RFC822.HEADER") it.kind = K::Rfc822Header;
  else if (name == "RFC822.TEXT") it.kind = K::Rfc822Text;
  else if ((name == "BODY" || name == "BODY.PEEK") && a.peek('[')) {
    it.kind = K::BodySection;
    it.peek = name == "BODY.PEEK";
    it.section = read_section(a);
    if (a.take('<')) {
      it.partial = true;
      it.offset = a.number64();
      a.expect('.');
      it.length = a.nz_number();
      a.expect('>');
    }
  } else if (name == "BODY") it.kind = K::Body;
  else if ((name == "BINARY" || name == "BINARY.PEEK" || name == "BINARY.SIZE") && a.peek('[')) {
    // RFC 3516 §4.2: section-binary = "[" [section-part] "]". HEADER, TEXT,
    // MIME and HEADER.FIELDS are taken too (as Dovecot does), answered as
    // BODY[] would: they have no transfer encoding to undo.
    it.kind = name == "BINARY.SIZE" ? K::BinarySize : K::Binary;
    it.peek = name == "BINARY.PEEK";
    it.section = read_section(a);
    if (it.kind == K::Binary && a.take('<')) {
      it.partial = true;
      it.offset = a.number64();
      a.expect('.');
      it.length = a.nz_number();
      a.expect('>');
    }
  } else a.fail(name.empty() ? "Missing FETCH item" : "Unknown FETCH item " + name);
  return it;
}

std::vector<FetchItem> read_items(Arguments& a) {
  std::vector<FetchItem> items;
  using K = FetchItem::Kind;
  auto add = [&](K k) {
    FetchItem i;
    i.kind = k;
    items.push_back(i);
  };
  if (a.take('(')) {
    while (true) {
      items.push_back(read_item(a));
      if (items.size() > 100) a.fail("Too many FETCH items");
      if (a.take(')')) break;
      a.sp();
    }
    return items;
  }
  // The macros (RFC 9051 §6.4.5).
  if (a.take_word("ALL")) {
    for (K k : {K::Flags, K::InternalDate, K::Size, K::Envelope}) add(k);
  } else if (a.take_word("FAST")) {
    for (K k : {K::Flags, K::InternalDate, K::Size}) add(k);
  } else if (a.take_word("FULL")) {
    for (K k : {K::Flags, K::InternalDate, K::Size, K::Envelope, K::Body}) add(k);
  } else {
    items.push_back(read_item(a));
  }
  return items;
}

// Whether BINARY can decode the part `path` names (RFC 3516 §4.2).
bool known_encoding(const mime::ParsedMessage& m, const std::vector<std::uint32_t>& path) {
  return path.empty() || binary_section(m, path).has_value();
}

// Built piece by piece: GCC 12 at -O3 warns (-Wrestrict, a false positive)
// on "\"" + s + "\"".
std::string internal_date(std::int64_t t) {
  std::string quoted = "\"";
  quoted += format_date_time(t);
  quoted += '"';
  return quoted;
}

}  // namespace

void ServerSession::cmd_close(const std::string& tag, Arguments& a, bool expunge,
                              std::vector<Output>& out) {
  a.end();
  // RFC 9051 §6.4.1: CLOSE removes \Deleted messages silently (not when
  // the folder was opened read-only); UNSELECT (RFC 3691) removes none.
  const char* done = expunge ? "CLOSE completed" : "UNSELECT completed";
  if (!expunge || read_only_) {
    deselect();
    return tagged(out, tag, "OK", done);
  }
  run_store(tag, [&store = store_, account = account_, folder = folder_] {
    store.expunge(account, folder);
  }, [this, tag, done](std::vector<Output>& o) {
    deselect();
    tagged(o, tag, "OK", done);
  }, out);
}

void ServerSession::cmd_expunge(const std::string& tag, Arguments& a, bool uid,
                                std::vector<Output>& out) {
  std::optional<std::vector<std::uint32_t>> uids;
  if (uid) {
    a.sp();
    const auto positions = resolve(a.sequence_set(), true);
    uids.emplace();
    for (auto p : positions) uids->push_back(view_[p]->uid);
  }
  a.end();
  if (read_only_) return tagged(out, tag, "NO", "[READ-ONLY] The mailbox is read-only");
  auto answer = [this, tag](std::vector<Output>& o) {
    sync(true);
    tagged(o, tag, "OK", "EXPUNGE completed");
  };
  if (uids && uids->empty()) return answer(out);
  run_store(tag, [&store = store_, account = account_, folder = folder_, uids = std::move(uids)] {
    store.expunge(account, folder, uids);
  }, answer, out);
}

void ServerSession::cmd_search(const std::string& tag, Arguments& a, bool uid,
                               std::vector<Output>& out) {
  a.sp();
  const SearchReturn ret = read_search_return(a);
  try {
    if (a.take_word("CHARSET")) {
      a.sp();
      const std::string charset = a.astring();
      if (!iequals(charset, "UTF-8") && !iequals(charset, "US-ASCII")) {
        if (ret.save) saved_uids_.clear();
        return tagged(out, tag, "NO", "[BADCHARSET (UTF-8 US-ASCII)] Unsupported charset");
      }
      a.sp();
    }
    bool uses_modseq = false;
    const std::vector<std::size_t> found = matching(a, uses_modseq);
    std::uint64_t highest = 0;
    for (std::size_t i : found) highest = std::max(highest, view_[i]->modseq);
    search_results(tag, uid, ret, found,
                   uses_modseq ? std::optional<std::uint64_t>(highest) : std::nullopt);
  } catch (...) {
    // RFC 5182 §2.1: a SEARCH ... SAVE that fails leaves $ empty.
    if (ret.save) saved_uids_.clear();
    throw;
  }
  sync(uid);
  tagged(out, tag, "OK", "SEARCH completed");
}

void ServerSession::cmd_fetch(const std::string& tag, Arguments& a, bool uid,
                              std::vector<Output>& out) {
  a.sp();
  const SequenceSet set = a.sequence_set();
  a.sp();
  std::vector<FetchItem> items = read_items(a);
  // RFC 9051 Appendix E: IMAP4rev2 dropped RFC822, RFC822.HEADER
  // and RFC822.TEXT (its fetch-att grammar keeps only RFC822.SIZE).
  if (rev2_ && std::any_of(items.begin(), items.end(), [](const FetchItem& i) {
        return i.kind == FetchItem::Rfc822 || i.kind == FetchItem::Rfc822Header ||
               i.kind == FetchItem::Rfc822Text;
      }))
    a.fail("IMAP4rev2 has no RFC822, RFC822.HEADER or RFC822.TEXT; use BODY[], BODY[HEADER], BODY[TEXT]");
  const FetchChangedSince changed_since = read_fetch_modifiers(a, uid);
  a.end();
  auto positions = resolve(set, uid);
  const bool wants_modseq =
      changed_since.since || std::any_of(items.begin(), items.end(), [](const FetchItem& i) {
        return i.kind == FetchItem::Modseq;
      });
  if (wants_modseq) enable_condstore();  // RFC 7162 §3.1
  if (changed_since.since) {
    // RFC 7162 §3.1.4.1: only messages changed after the given MODSEQ
    // (with the MODSEQ item implied); with VANISHED (§3.2.6) first the
    // UIDs of the set expunged since then.
    if (changed_since.vanished)
      vanished_since(*changed_since.since, resolved_ranges(set, UINT32_MAX), true);
    positions.erase(std::remove_if(positions.begin(), positions.end(),
                                   [&](std::size_t p) {
                                     return view_[p]->modseq <= *changed_since.since;
                                   }),
                    positions.end());
  }
  // RFC 3516 §4.2: a part whose encoding cannot be undone fails the whole
  // FETCH with [UNKNOWN-CTE], before anything is answered or flagged.
  if (std::any_of(items.begin(), items.end(), [](const FetchItem& i) {
        return i.kind == FetchItem::Binary || i.kind == FetchItem::BinarySize;
      })) {
    for (std::size_t pos : positions) {
      const auto parsed = parsed_message(view_[pos]);
      for (const FetchItem& i : items)
        if ((i.kind == FetchItem::Binary || i.kind == FetchItem::BinarySize) &&
            i.section.kind == Section::Kind::Whole && !known_encoding(*parsed, i.section.path))
          return tagged(out, tag, "NO",
                        "[UNKNOWN-CTE] Cannot decode the content transfer encoding of " +
                            std::string(uid ? "UID " : "message ") +
                            std::to_string(uid ? view_[pos]->uid : pos + 1));
    }
  }
  // RFC 9051 §6.4.5: BODY[...] (not .PEEK) sets \Seen; the FETCH then
  // includes FLAGS.
  std::vector<bool> seen_now(positions.size(), false);
  if (!read_only_ && std::any_of(items.begin(), items.end(),
                                 [](const FetchItem& i) { return i.sets_seen(); })) {
    std::vector<std::uint32_t> unseen;
    for (std::size_t k = 0; k < positions.size(); ++k)
      if (!(view_[positions[k]]->flags & store::kSeen)) {
        unseen.push_back(view_[positions[k]]->uid);
        seen_now[k] = true;
      }
    if (!unseen.empty()) {
      const auto r = store_.store(account_, folder_, unseen, store::FlagChange::Add, {"\\Seen"});
      for (const auto& m : r.changed) {
        auto it = std::lower_bound(view_.begin(), view_.end(), m->uid,
                                   [](const store::MessagePtr& x, std::uint32_t u) { return x->uid < u; });
        if (it != view_.end() && (*it)->uid == m->uid) *it = m;
      }
    }
  }
  const bool missing = fetch_responses(items, positions, seen_now, uid, changed_since.since.has_value(), out);
  sync(uid);
  if (missing) return tagged(out, tag, "NO", "[EXPUNGEISSUED] Some messages were expunged");
  tagged(out, tag, "OK", "FETCH completed");
}

bool ServerSession::fetch_responses(const std::vector<FetchItem>& items,
                                    const std::vector<std::size_t>& positions,
                                    const std::vector<bool>& seen_now, bool uid,
                                    bool changed_since, std::vector<Output>& out) {
  const bool content = std::any_of(items.begin(), items.end(),
                                   [](const FetchItem& i) { return i.needs_content(); });
  const bool wants_flags = std::any_of(items.begin(), items.end(),
                                       [](const FetchItem& i) { return i.kind == FetchItem::Flags; });
  bool missing = false;
  for (std::size_t k = 0; k < positions.size(); ++k) {
    const std::size_t pos = positions[k];
    const store::MessagePtr m = view_[pos];
    std::shared_ptr<const std::string> data;
    std::shared_ptr<const mime::ParsedMessage> parsed;
    if (content) {
      try {
        data = store_.read(*m);
      } catch (const store::NoSuchMessage&) {
        missing = true;  // expunged by another session meanwhile
        continue;
      }
    }
    auto parse = [&]() -> const mime::ParsedMessage& {
      if (!parsed) parsed = cache_.parsed(cache_key(m->uid), data);
      return *parsed;
    };
    std::string line = std::to_string(pos + 1) + " FETCH (";
    bool first = true;
    auto sep = [&] {
      if (!first) line.push_back(' ');
      first = false;
    };
    const bool list_uid = std::any_of(items.begin(), items.end(),
                                      [](const FetchItem& i) { return i.kind == FetchItem::Uid; });
    if ((uid || (seen_now[k] && condstore_)) && !list_uid) {
      sep();
      line += "UID " + std::to_string(m->uid);
    }
    if (seen_now[k] && !wants_flags) {
      sep();
      line += "FLAGS " + flags_text(*m);
    }
    if ((changed_since || (seen_now[k] && condstore_)) &&
        std::none_of(items.begin(), items.end(),
                     [](const FetchItem& i) { return i.kind == FetchItem::Modseq; })) {
      sep();
      line += "MODSEQ (" + std::to_string(m->modseq) + ")";
    }
    std::shared_ptr<const std::string> zero_copy;
    for (std::size_t n = 0; n < items.size(); ++n) {
      const FetchItem& it = items[n];
      sep();
      switch (it.kind) {
        case FetchItem::Flags: line += "FLAGS " + flags_text(*m); break;
        case FetchItem::Uid: line += "UID " + std::to_string(m->uid); break;
        case FetchItem::Modseq: line += "MODSEQ (" + std::to_string(m->modseq) + ")"; break;
        case FetchItem::InternalDate: line += "INTERNALDATE " + internal_date(m->internal_date); break;
        case FetchItem::Size: line += "RFC822.SIZE " + std::to_string(data ? data->size() : m->size); break;
        case FetchItem::Envelope: line += "ENVELOPE "; append_envelope(line, parse()); break;
        case FetchItem::Body: line += "BODY "; append_body_structure(line, parse(), false); break;
        case FetchItem::BodyStructure:
          line += "BODYSTRUCTURE ";
          append_body_structure(line, parse(), true);
          break;
        case FetchItem::Binary:
        case FetchItem::BinarySize: {
          // Known to decode: checked before anything was answered.
          const std::string bytes =
              it.section.kind == Section::Kind::Whole
                  ? binary_section(parse(), it.section.path).value_or("")
                  : section_bytes(parse(), it.section);
          const std::string part = it.section.label();
          if (it.kind == FetchItem::BinarySize) {
            line += "BINARY.SIZE[" + part + "] " + std::to_string(bytes.size());
            break;
          }
          line += "BINARY[" + part + "]";
          std::string_view v = bytes;
          if (it.partial) {
            line.append("<").append(std::to_string(it.offset)).append(">");
            v = it.offset >= v.size() ? std::string_view{} : v.substr(it.offset, it.length);
          }
          line.push_back(' ');
          append_binary_string(line, v);
          break;
        }
        case FetchItem::Rfc822:
        case FetchItem::Rfc822Header:
        case FetchItem::Rfc822Text:
        case FetchItem::BodySection: {
          Section s = it.section;
          const char* label = nullptr;
          if (it.kind == FetchItem::Rfc822) label = "RFC822";
          if (it.kind == FetchItem::Rfc822Header) s.kind = Section::Kind::Header, label = "RFC822.HEADER";
          if (it.kind == FetchItem::Rfc822Text) s.kind = Section::Kind::Text, label = "RFC822.TEXT";
          if (label)
            line += label;
          else
            line += "BODY[" + s.label() + "]";
          const bool whole = s.kind == Section::Kind::Whole && s.path.empty();
          if (it.partial) line.append("<").append(std::to_string(it.offset)).append(">");
          line.push_back(' ');
          if (whole && !it.partial && n + 1 == items.size()) {
            // The last item, the whole message: sent from the store's own
            // string (no copy).
            line.push_back('{');
            line += std::to_string(data->size());
            line += "}\r\n";
            zero_copy = data;
            break;
          }
          std::string bytes = whole ? std::string() : section_bytes(parse(), s);
          std::string_view v = whole ? std::string_view(*data) : std::string_view(bytes);
          if (it.partial)
            v = it.offset >= v.size() ? std::string_view{} : v.substr(it.offset, it.length);
          if (v.empty()) {
            line += "\"\"";
            break;
          }
          line.push_back('{');
          line += std::to_string(v.size());
          line += "}\r\n";
          line += v;
          break;
        }
      }
    }
    if (zero_copy) {
      pending_ += "* ";
      pending_ += line;
      Output o;
      o.bytes = std::move(pending_);
      pending_.clear();
      o.body = std::move(zero_copy);
      o.tail = ")\r\n";
      emit(out, std::move(o));
    } else {
      untagged(line + ")");
    }
  }
  return missing;
}

void ServerSession::check_notify_fetch(Arguments& a) {
  for (const FetchItem& i : read_items(a))
    if (i.sets_seen()) a.fail("NOTIFY fetches without setting \\Seen: use BODY.PEEK or BINARY.PEEK");
}

void ServerSession::notify_fetch(const std::string& attributes, std::size_t from,
                                 std::vector<Output>& out) {
  Arguments a(attributes, rev2_ || utf8_);
  const std::vector<FetchItem> items = read_items(a);  // checked by NOTIFY SET
  std::vector<std::size_t> positions;
  for (std::size_t p = from; p < view_.size(); ++p) positions.push_back(p);
  // As UID FETCH answers (RFC 5465 §5.2): the
  // client learns the new messages' UIDs with what it asked for.
  fetch_responses(items, positions, std::vector<bool>(positions.size(), false), true, false, out);
}

void ServerSession::cmd_store(const std::string& tag, Arguments& a, bool uid,
                              std::vector<Output>& out) {
  a.sp();
  const SequenceSet set = a.sequence_set();
  a.sp();
  const std::optional<std::uint64_t> unchanged_since = read_store_modifiers(a);
  std::string op = upper(a.atom());
  store::FlagChange change = store::FlagChange::Replace;
  if (!op.empty() && (op[0] == '+' || op[0] == '-')) {
    change = op[0] == '+' ? store::FlagChange::Add : store::FlagChange::Remove;
    op.erase(0, 1);
  }
  const bool silent = op == "FLAGS.SILENT";
  if (op != "FLAGS" && !silent) a.fail("Expected FLAGS, +FLAGS or -FLAGS");
  a.sp();
  std::vector<std::string> flags;
  if (a.peek('(')) {
    flags = a.flag_list();
  } else {
    flags.push_back(a.flag());
    while (a.try_sp()) flags.push_back(a.flag());
  }
  a.end();
  flags.erase(std::remove_if(flags.begin(), flags.end(),
                             [](const std::string& f) { return iequals(f, "\\Recent"); }),
              flags.end());
  const auto positions = resolve(set, uid);
  if (read_only_) return tagged(out, tag, "NO", "[READ-ONLY] The mailbox is read-only");
  try {
    store::parse_flags(flags);
  } catch (const store::InvalidFlag& e) {
    return tagged(out, tag, "BAD", e.what());
  }
  std::vector<std::uint32_t> uids;
  for (auto p : positions) uids.push_back(view_[p]->uid);
  auto result = std::make_shared<store::StoreResult>();
  auto answer = [this, tag, uid, silent, positions, result](std::vector<Output>& o) {
    store_answer(tag, uid, silent, positions, std::move(*result), o);
  };
  if (uids.empty()) return answer(out);
  run_store(tag, [&store = store_, account = account_, folder = folder_, uids = std::move(uids),
                  change, flags = std::move(flags), unchanged_since, result] {
    *result = store.store(account, folder, uids, change, flags, unchanged_since);
  }, answer, out);
}

void ServerSession::store_answer(const std::string& tag, bool uid, bool silent,
                                 const std::vector<std::size_t>& positions, store::StoreResult r,
                                 std::vector<Output>& out) {
  for (const auto& m : r.changed) {
    auto it = std::lower_bound(view_.begin(), view_.end(), m->uid,
                               [](const store::MessagePtr& x, std::uint32_t u) { return x->uid < u; });
    if (it != view_.end() && (*it)->uid == m->uid) *it = m;
  }
  std::sort(r.modified.begin(), r.modified.end());
  auto is_modified = [&](std::uint32_t u) {
    return std::binary_search(r.modified.begin(), r.modified.end(), u);
  };
  auto was_changed = [&](std::uint32_t u) {
    return std::any_of(r.changed.begin(), r.changed.end(),
                       [u](const store::MessagePtr& m) { return m->uid == u; });
  };
  for (auto p : positions) {
    const store::Message& m = *view_[p];
    // RFC 7162 §3.1.3: what failed UNCHANGEDSINCE is in MODIFIED, not
    // here; with CONDSTORE on, a message changed under .SILENT is still
    // reported with its new MODSEQ.
    if (is_modified(m.uid)) continue;
    if (silent && !(condstore_ && was_changed(m.uid))) continue;
    std::string line = std::to_string(p + 1) + " FETCH (";
    // RFC 7162 §3.1: once CONDSTORE is on, with the UID and MODSEQ.
    if (uid || condstore_) line += "UID " + std::to_string(m.uid) + " ";
    if (silent) {
      line += "MODSEQ (" + std::to_string(m.modseq) + ")";
    } else {
      line += "FLAGS ";
      line += flags_text(m);
      line += modseq_item(m);
    }
    line.push_back(')');
    untagged(line);
  }
  if (!r.modified.empty()) {
    std::vector<std::uint32_t> numbers;
    for (std::uint32_t u : r.modified) {
      if (uid) {
        numbers.push_back(u);
        continue;
      }
      auto it = std::lower_bound(view_.begin(), view_.end(), u,
                                 [](const store::MessagePtr& x, std::uint32_t v) { return x->uid < v; });
      numbers.push_back(static_cast<std::uint32_t>(it - view_.begin() + 1));
    }
    std::sort(numbers.begin(), numbers.end());
    sync(uid);
    return tagged(out, tag, "OK", "[MODIFIED " + compact_set(numbers) + "] Conditional STORE failed");
  }
  sync(uid);
  tagged(out, tag, "OK", "STORE completed");
}

void ServerSession::cmd_copy(const std::string& tag, Arguments& a, bool uid, bool move,
                             std::vector<Output>& out) {
  a.sp();
  const SequenceSet set = a.sequence_set();
  a.sp();
  const std::string name = mailbox(a);
  a.end();
  const auto positions = resolve(set, uid);
  std::string dest;
  try {
    dest = store::checked_folder_name(name);
    store_.status(account_, dest);
  } catch (const store::StoreError&) {
    return tagged(out, tag, "NO", "[TRYCREATE] No such mailbox");
  }
  if (move && read_only_) return tagged(out, tag, "NO", "[READ-ONLY] The mailbox is read-only");
  std::vector<std::uint32_t> uids;
  for (auto p : positions) uids.push_back(view_[p]->uid);
  const char* verb = move ? "MOVE" : "COPY";
  if (uids.empty()) {
    sync(true);
    return tagged(out, tag, "OK", std::string(verb) + " completed (no messages)");
  }
  auto result = std::make_shared<store::CopyResult>();
  run_store(tag, [&store = store_, account = account_, folder = folder_, uids = std::move(uids),
                  dest, move, result] {
    *result = move ? store.move(account, folder, uids, dest) : store.copy(account, folder, uids, dest);
  }, [this, tag, move, verb, result](std::vector<Output>& o) {
    copy_answer(tag, move, verb, *result, o);
  }, out);
}

void ServerSession::copy_answer(const std::string& tag, bool move, const char* verb,
                                const store::CopyResult& r, std::vector<Output>& out) {
  std::string code;
  if (!r.source_uids.empty())
    code = "[COPYUID " + std::to_string(r.uidvalidity) + " " + compact_set(r.source_uids) + " " +
           compact_set(r.dest_uids) + "] ";
  if (move) {
    // RFC 6851 §4.3: COPYUID in an untagged OK before the EXPUNGEs.
    if (!code.empty()) untagged("OK " + code + "Moved");
    sync(true);
    return tagged(out, tag, "OK", std::string(verb) + " completed");
  }
  sync(true);
  tagged(out, tag, "OK", code + verb + " completed");
}

}  // namespace mailroom::imap
