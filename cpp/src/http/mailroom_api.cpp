// mailroom's own routes under /api/mailroom: what Mailpit's users asked for
// and were refused. Many accounts with their IMAP folders and flags (list,
// move, flag, delete), the links and one-time codes of a message. IDs name
// any folder here; Mailpit's /api/v1 stays on INBOX.
#include "links_and_codes.hpp"
#include "mail_api_impl.hpp"

namespace mailroom::http {

namespace {

std::string required_param(const Request& r, const char* name) {
  std::string value;
  if (!query_param(r.query, name, value) || value.empty())
    throw BadField(std::string(name) + " is required");
  return value;
}

}  // namespace

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
    const std::string account = required_param(r, "account");
    check_account(r, account);
    std::string folder = kInbox;
    if (query_param(r.query, "folder", folder) && folder.empty()) throw BadField("folder is empty");
    const std::uint64_t start = number_param(r, "start", 0, 1u << 30);
    const std::uint64_t limit = number_param(r, "limit", 50, 1000);
    std::vector<store::MessagePtr> list;
    store::FolderStatus status;
    try {
      status = store.status(account, folder);
      list = store.newest(account, folder, start, limit);
    } catch (const store::NoSuchAccount&) {
      return Answer::now(error_response(404, "no account '" + account + "'"));
    } catch (const store::StoreError& e) {
      return Answer::now(error_response(404, e.what()));
    }
    std::string page;
    std::size_t count = 0;
    for (const auto& m : list) {
      json::array flags;
      for (auto& f : store::flag_names(m->flags, m->keywords)) flags.emplace_back(f);
      std::string summary = cache.summary(store, m, folder, status.uidvalidity,
                                          "\"Flags\":" + json::serialize(flags));
      if (summary.empty()) continue;
      if (count++) page.push_back(',');
      page += summary;
    }
    json::object out{{"Account", account},       {"Folder", folder},
                     {"total", status.messages}, {"unread", status.unseen},
                     {"start", start},           {"count", count},
                     {"messages", json::array{}}};
    // The page's summaries are JSON text already: spliced in for the empty array.
    std::string body = json::serialize(out);
    body.replace(body.size() - 3, 2, "[" + page + "]");
    return Answer::now(MailApi::json_text(std::move(body)));
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
    return Answer::now(v ? json_response(message_detail(*v)) : not_found(p[0]));
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
