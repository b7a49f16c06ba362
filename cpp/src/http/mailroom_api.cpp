// mailroom's own routes under /api/mailroom: what Mailpit's users asked for
// and were refused. Many accounts with their IMAP folders and flags (list,
// move, flag, delete), the links and one-time codes of a message. IDs name
// any folder here; Mailpit's /api/v1 stays on INBOX.
#include "links_and_codes.hpp"
#include "mailroom/mime/header_fields.hpp"
#include "mailroom/mime/threading.hpp"
#include "mail_api_impl.hpp"

namespace mailroom::http {

namespace {

std::string required_param(const Request& r, const char* name) {
  std::string value;
  if (!query_param(r.query, name, value) || value.empty())
    throw BadField(std::string(name) + " is required");
  return value;
}

// How a folder's list is ordered: ?sort=date|from|subject|size (date: the
// internal date, as the store received it) and ?order=desc|asc; newest
// first by default.
struct MessageOrder {
  enum class Key { Arrival, Date, From, Subject, Size } key = Key::Arrival;
  bool descending = true;
};

MessageOrder message_order(const Request& r) {
  MessageOrder o;
  std::string value;
  if (query_param(r.query, "sort", value) && !value.empty()) {
    if (value == "date") o.key = MessageOrder::Key::Date;
    else if (value == "from") o.key = MessageOrder::Key::From;
    else if (value == "subject") o.key = MessageOrder::Key::Subject;
    else if (value == "size") o.key = MessageOrder::Key::Size;
    else throw BadField("sort must be date, from, subject or size, not '" + value + "'");
  }
  if (query_param(r.query, "order", value) && !value.empty()) {
    if (value != "asc" && value != "desc")
      throw BadField("order must be asc or desc, not '" + value + "'");
    o.descending = value == "desc";
  }
  return o;
}

// The folder's messages in `order`, ties by UID. From and Subject read
// every message's header: "from" compares the display name (else the
// address) and "subject" the base subject of RFC 5256 §2.1 (no "Re:",
// "Fwd:", "[list]"), both without regard to ASCII case.
std::vector<store::MessagePtr> sorted(const store::MailStore& store,
                                      std::vector<store::MessagePtr> list, const std::string& folder,
                                      std::uint32_t uidvalidity, MessageOrder order) {
  using Key = MessageOrder::Key;
  if (order.key == Key::From || order.key == Key::Subject) {
    std::vector<std::pair<std::string, std::size_t>> keys;
    keys.reserve(list.size());
    for (std::size_t i = 0; i < list.size(); ++i) {
      std::string key;
      if (auto v = view_message(store, list[i], folder, uidvalidity)) {
        if (order.key == Key::Subject) {
          key = mime::base_subject(message_subject(*v->parsed)).text;
        } else {
          const auto* h = v->parsed->parts.empty() ? nullptr : v->parsed->find_header(0, "from");
          auto from = h ? mime::parse_address_list(v->parsed->bytes(h->value))
                        : std::vector<mime::Address>{};
          if (!from.empty()) key = from[0].display_name.empty() ? from[0].address : from[0].display_name;
          key = lowered(key);
        }
      }
      keys.emplace_back(std::move(key), i);
    }
    std::stable_sort(keys.begin(), keys.end(), [&](const auto& a, const auto& b) {
      if (a.first != b.first) return order.descending ? b.first < a.first : a.first < b.first;
      return order.descending ? b.second < a.second : a.second < b.second;
    });
    std::vector<store::MessagePtr> out;
    out.reserve(list.size());
    for (const auto& k : keys) out.push_back(list[k.second]);
    return out;
  }
  auto value = [&](const store::MessagePtr& m) -> std::int64_t {
    if (order.key == Key::Date) return m->internal_date;
    if (order.key == Key::Size) return static_cast<std::int64_t>(m->size);
    return 0;
  };
  std::stable_sort(list.begin(), list.end(), [&](const auto& a, const auto& b) {
    const auto va = value(a), vb = value(b);
    if (va != vb) return order.descending ? vb < va : va < vb;
    return order.descending ? b->uid < a->uid : a->uid < b->uid;
  });
  return list;
}

}  // namespace

MailApi::Impl::FolderListing MailApi::Impl::folder_listing(const Request& r) const {
  FolderListing f;
  f.account = required_param(r, "account");
  f.folder = kInbox;
  if (query_param(r.query, "folder", f.folder) && f.folder.empty()) throw BadField("folder is empty");
  check_account(r, f.account);
  try {
    f.messages = store.messages(f.account, f.folder);
    f.status = store.status(f.account, f.folder);
  } catch (const store::NoSuchAccount&) {
    throw FolderMissing("no account '" + f.account + "'");
  } catch (const store::StoreError& e) {
    throw FolderMissing(e.what());
  }
  return f;
}

json::array MailApi::Impl::flag_list(const MessageView& v) {
  json::array flags;
  for (auto& f : store::flag_names(v.message->flags, v.message->keywords())) flags.emplace_back(f);
  return flags;
}

json::object MailApi::Impl::folder_summary(const MessageView& v) {
  json::object summary = message_summary(v);
  summary["Flags"] = flag_list(v);
  return summary;
}

std::optional<MessageView> MailApi::Impl::locate(const Request& r, const std::string& id) const {
  if (id == "latest") return view(r, id);  // the newest arrival in an INBOX
  auto where = decode_message_id(id);
  if (!where || !may_see(r, where->account)) return std::nullopt;
  try {
    if (store.status(where->account, where->folder).uidvalidity != where->uidvalidity)
      return std::nullopt;
    auto m = store.by_uid(where->account, where->folder, where->uid);
    return m ? view_message(store, m, where->folder, where->uidvalidity) : std::nullopt;
  } catch (const store::StoreError&) {
    return std::nullopt;
  }
}

std::optional<MessageView> MailApi::Impl::find_by_message_id(const std::string& account,
                                                             std::string_view message_id) const {
  const std::string_view wanted = mime::own_message_id(message_id);
  if (wanted.empty()) return std::nullopt;
  try {
    for (const auto& f : store.list_folders(account)) {
      const std::uint32_t validity = store.status(account, f.name).uidvalidity;
      for (const auto& m : store.messages(account, f.name)) {
        auto v = view_message(store, m, f.name, validity);
        if (!v || v->parsed->parts.empty()) continue;
        const auto* h = v->parsed->find_header(0, "message-id");
        if (h && mime::own_message_id(v->parsed->bytes(h->value)) == wanted) return v;
      }
    }
  } catch (const store::StoreError&) {
  }
  return std::nullopt;
}

std::optional<MessageView> MailApi::Impl::answered_by_draft(const Request& r, const std::string& id,
                                                            const MessageView& draft) const {
  if (auto v = locate(r, id)) return v;
  std::string message_id = decoded_header(*draft.parsed, "X-Mailroom-Reply-To-Message-ID");
  const std::string mode = decoded_header(*draft.parsed, "X-Mailroom-Mode");
  if (message_id.empty() && (mode == "reply" || mode == "reply_all"))
    message_id = decoded_header(*draft.parsed, "In-Reply-To");  // RFC 5322 §3.6.4: the parent's
  const auto where = decode_message_id(id);
  const std::string account = where ? where->account : draft.message->account();
  if (message_id.empty() || !may_see(r, account)) return std::nullopt;
  return find_by_message_id(account, message_id);
}

// The messages an ID list names, by account and folder; BadField for an
// unknown ID or an empty list.
std::map<std::pair<std::string, std::string>, std::vector<std::uint32_t>> MailApi::Impl::located(
    const Request& r, const std::vector<std::string>& ids) const {
  if (ids.empty()) throw BadField("IDs: give at least one message ID");
  std::map<std::pair<std::string, std::string>, std::vector<std::uint32_t>> out;
  for (const auto& id : ids) {
    auto where = decode_message_id(id);
    if (!where || !locate(r, id)) throw BadField("IDs: no message with the ID '" + id + "'");
    out[{where->account, where->folder}].push_back(where->uid);
  }
  return out;
}

void MailApi::Impl::add_mailroom_routes() {
  auto& R = router;
  R.add("GET", "/api/mailroom/me", [](Request& r, const PathParams&) {
    json::object me{{"User", nullptr}, {"TestMode", !r.account.has_value()}, {"CSRF", nullptr}};
    if (r.account && !r.account->empty()) me["User"] = *r.account;
    if (!r.csrf.empty()) me["CSRF"] = r.csrf;
    Response out = json_response(me);
    out.header("Cache-Control", "no-store");
    return Answer::now(std::move(out));
  });
  R.add("GET", "/api/mailroom/accounts", [this](Request& r, const PathParams&) {
    json::array accounts;
    for (const auto& a : store.accounts()) {
      if (!may_see(r, a)) continue;
      std::size_t messages = 0, unread = 0;
      for (const auto& f : store.list_folders(a)) {
        auto s = store.status(a, f.name);
        messages += s.messages;
        unread += s.unseen;
      }
      accounts.push_back(json::object{{"Address", a}, {"Messages", messages}, {"Unread", unread}});
    }
    return Answer::now(json_response(json::object{{"Accounts", std::move(accounts)}}));
  });
  R.add("GET", "/api/mailroom/folders", [this](Request& r, const PathParams&) {
    const std::string account = required_param(r, "account");
    check_account(r, account);
    json::array folders;
    try {
      for (const auto& f : store.list_folders(account)) {
        auto s = store.status(account, f.name);
        folders.push_back(json::object{{"Name", f.name},
                                       {"SpecialUse", f.special_use},
                                       {"Messages", s.messages},
                                       {"Unread", s.unseen},
                                       {"UIDValidity", s.uidvalidity},
                                       {"UIDNext", s.uidnext}});
      }
    } catch (const store::NoSuchAccount&) {
      return Answer::now(error_response(404, "no account '" + account + "'"));
    }
    return Answer::now(
        json_response(json::object{{"Account", account}, {"Folders", std::move(folders)}}));
  });
  R.add("GET", "/api/mailroom/messages", [this](Request& r, const PathParams&) {
    const std::uint64_t start = number_param(r, "start", 0, 1u << 30);
    const std::uint64_t limit = number_param(r, "limit", 50, 1000);
    const MessageOrder order = message_order(r);
    FolderListing f;
    try {
      if (order.key == MessageOrder::Key::Arrival && order.descending) {
        // Newest first, the default: the store pages it and the summaries are
        // cached, so the folder's size does not matter.
        f.account = required_param(r, "account");
        f.folder = kInbox;
        if (query_param(r.query, "folder", f.folder) && f.folder.empty())
          throw BadField("folder is empty");
        check_account(r, f.account);
        f.status = store.status(f.account, f.folder);
        f.messages = store.newest(f.account, f.folder, start, limit);
      } else {
        f = folder_listing(r);
      }
    } catch (const FolderMissing& e) {
      return Answer::now(error_response(404, e.what()));
    } catch (const store::NoSuchAccount&) {
      return Answer::now(error_response(404, "no account '" + f.account + "'"));
    } catch (const store::StoreError& e) {
      return Answer::now(error_response(404, e.what()));
    }
    if (order.key == MessageOrder::Key::Arrival && order.descending) {
      std::string page;
      std::size_t count = 0;
      for (const auto& m : f.messages) {
        json::array flags;
        for (auto& fl : store::flag_names(m->flags, m->keywords())) flags.emplace_back(fl);
        std::string summary = cache.summary(store, m, f.folder, f.status.uidvalidity,
                                            "\"Flags\":" + json::serialize(flags));
        if (summary.empty()) continue;
        if (count++) page.push_back(',');
        page += summary;
      }
      json::object out{{"Account", f.account},     {"Folder", f.folder},
                       {"total", f.status.messages}, {"unread", f.status.unseen},
                       {"start", start},             {"count", count},
                       {"messages", json::array{}}};
      // The page's summaries are JSON text already: spliced in for the empty array.
      std::string body = json::serialize(out);
      body.replace(body.size() - 3, 2, "[" + page + "]");
      return Answer::now(MailApi::json_text(std::move(body)));
    }
    auto list = sorted(store, f.messages, f.folder, f.status.uidvalidity, order);
    json::array page;
    for (std::size_t i = start; i < list.size() && page.size() < limit; ++i)
      if (auto v = view_message(store, list[i], f.folder, f.status.uidvalidity))
        page.push_back(folder_summary(*v));
    json::object out{{"Account", f.account},  {"Folder", f.folder},
                     {"total", list.size()},  {"unread", f.status.unseen},
                     {"start", start},        {"count", page.size()},
                     {"messages", std::move(page)}};
    return Answer::now(json_response(out));
  });
  R.add("PUT", "/api/mailroom/messages", [this](Request& r, const PathParams&) {
    json::value body = parse_body(r);
    const auto& o = body.as_object();
    const auto add = string_list(o, "Add"), remove = string_list(o, "Remove");
    for (auto [name, list] : {std::pair{"Add", &add}, {"Remove", &remove}}) {
      try {
        (void)store::parse_flags(*list);
      } catch (const store::InvalidFlag& e) {
        throw BadField(std::string(name) + ": " + e.what());
      }
    }
    for (const auto& [where, uids] : located(r, string_list(o, "IDs"))) {
      if (!add.empty()) store.store(where.first, where.second, uids, store::FlagChange::Add, add);
      if (!remove.empty())
        store.store(where.first, where.second, uids, store::FlagChange::Remove, remove);
    }
    return Answer::now(ok_text());
  });
  R.add("POST", "/api/mailroom/move", [this](Request& r, const PathParams&) {
    json::value body = parse_body(r);
    const auto& o = body.as_object();
    const std::string to = string_member(o, "To", "");
    if (to.empty()) throw BadField("To: the folder to move to is required");
    json::array moved;
    for (const auto& [where, uids] : located(r, string_list(o, "IDs"))) {
      store::CopyResult done;
      try {
        done = store.move(where.first, where.second, uids, to);
      } catch (const store::NoSuchFolder&) {
        throw BadField("To: no folder '" + to + "' in " + where.first);
      }
      for (auto uid : done.dest_uids)
        moved.emplace_back(encode_message_id({where.first, store::checked_folder_name(to),
                                              done.uidvalidity, uid}));
    }
    return Answer::now(json_response(json::object{{"IDs", std::move(moved)}}));
  });
  R.add("DELETE", "/api/mailroom/messages", [this](Request& r, const PathParams&) {
    json::value body = parse_body(r);
    for (const auto& [where, uids] : located(r, string_list(body.as_object(), "IDs"))) {
      store.store(where.first, where.second, uids, store::FlagChange::Add, {"\\Deleted"});
      store.expunge(where.first, where.second, uids);
    }
    return Answer::now(ok_text());
  });
  R.add("GET", "/api/mailroom/message/{ID}", [this](Request& r, const PathParams& p) {
    auto v = locate(r, p[0]);
    if (!v) return Answer::now(not_found(p[0]));
    json::object detail = message_detail(*v);
    detail["Flags"] = flag_list(*v);
    if (auto where = decode_message_id(v->id)) {
      detail["Account"] = where->account;
      detail["Folder"] = where->folder;
    }
    // A draft of a reply or forward: what it answers, as compose kept it.
    if (v->message->flags & store::kDraft) {
      const std::string mode = decoded_header(*v->parsed, "X-Mailroom-Mode");
      const std::string answered = decoded_header(*v->parsed, "X-Mailroom-Reply-To");
      // The ID where the original is now, when it moved since; kept when it is gone.
      if (!mode.empty() && !answered.empty()) {
        const auto now = answered_by_draft(r, answered, *v);
        detail["Answers"] = json::object{{"Mode", mode}, {"ID", now ? now->id : answered}};
      }
    }
    return Answer::now(json_response(detail));
  });
  R.add("GET", "/api/mailroom/message/{ID}/raw", [this](Request& r, const PathParams& p) {
    auto v = locate(r, p[0]);
    return Answer::now(v ? raw_source(*v) : not_found(p[0]));
  });
  R.add("GET", "/api/mailroom/message/{ID}/links", [this](Request& r, const PathParams& p) {
    auto v = locate(r, p[0]);
    if (!v) return Answer::now(not_found(p[0]));
    json::array links;
    for (auto& l : message_links(*v->parsed)) links.emplace_back(l);
    return Answer::now(json_response(json::object{{"ID", v->id}, {"Links", std::move(links)}}));
  });
  R.add("GET", "/api/mailroom/message/{ID}/codes", [this](Request& r, const PathParams& p) {
    auto v = locate(r, p[0]);
    if (!v) return Answer::now(not_found(p[0]));
    json::array codes;
    for (auto& c : message_codes(*v->parsed)) codes.emplace_back(c);
    return Answer::now(json_response(json::object{{"ID", v->id}, {"Codes", std::move(codes)}}));
  });
}

}  // namespace mailroom::http
