// What the files of the REST API share (mail_api.cpp, mail_api_send.cpp,
// mailroom_api.cpp): the JSON helpers, the errors that name a field, and
// MailApi's state with the lookups every route uses.
#pragma once

#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "mailroom/http/mail_api.hpp"
#include "mailroom/mime/builder.hpp"
#include "mailroom/store/flags.hpp"
#include "mailroom/text.hpp"
#include "message_view.hpp"
#include "search.hpp"
#include "summary_cache.hpp"

namespace mailroom::http {

namespace json = boost::json;


inline constexpr const char* kInbox = "INBOX";

// JSON text with doubles in plain notation ("Delay":1.5, not 1.5E0) (json.cpp).
std::string json_text(const json::value& v);

inline Response json_response(const json::value& v, int status = 200) {
  Response r;
  r.status = status;
  r.header("Content-Type", "application/json");
  r.body = json_text(v);
  return r;
}

inline Response ok_text() {
  Response r;
  r.header("Content-Type", "text/plain; charset=utf-8");
  r.body = "ok";
  return r;
}

// A field of a request body that is not what it must be.
struct BadField : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

// A request for another user's account (403).
struct NotYours : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A query parameter as a number within [lo, hi], `fallback` when absent.
inline std::uint64_t number_param(const Request& r, const char* name, std::uint64_t fallback,
                           std::uint64_t hi) {
  std::string text;
  if (!query_param(r.query, name, text) || text.empty()) return fallback;
  std::uint64_t n = 0;
  if (!parse_number(text, n) || n > hi)
    throw BadField(std::string(name) + " must be a whole number from 0 to " + std::to_string(hi) +
                   ", not '" + text + "'");
  return n;
}

inline json::value parse_body(const Request& r) {
  if (trim(r.body).empty()) return json::object{};
  boost::system::error_code ec;
  json::value v = json::parse(r.body, ec);
  if (ec) throw BadField("the body is not JSON: " + ec.message());
  if (!v.is_object()) throw BadField("the body must be a JSON object");
  return v;
}

// A request's field by name. As in Mailpit (Go's encoding/json), the name is
// matched exactly first and then without regard to case ("read" is "Read");
// a null is as good as absent.
inline const json::value* member(const json::object& o, const char* name) {
  auto it = o.find(name);
  if (it == o.end()) {
    const std::string_view wanted(name);
    it = std::find_if(o.begin(), o.end(),
                      [&](const json::key_value_pair& kv) { return iequals(kv.key(), wanted); });
  }
  return it == o.end() || it->value().is_null() ? nullptr : &it->value();
}

inline std::string string_member(const json::object& o, const char* name, const std::string& where) {
  const json::value* v = member(o, name);
  if (!v) return {};
  if (!v->is_string()) throw BadField(where + name + " must be a string");
  return std::string(v->as_string());
}

inline std::vector<std::string> string_list(const json::object& o, const char* name) {
  std::vector<std::string> out;
  const json::value* v = member(o, name);
  if (!v) return out;
  if (!v->is_array()) throw BadField(std::string(name) + " must be an array of strings");
  for (const auto& e : v->as_array()) {
    if (!e.is_string()) throw BadField(std::string(name) + " must be an array of strings");
    out.emplace_back(e.as_string());
  }
  return out;
}

// The "Attachments" of a request: [{<filename>, "ContentType", "Content"
// (base64)}] (mail_api_send.cpp).
std::vector<mime::AttachmentSpec> attachments_of(const json::object& o, const char* filename);

// A message's HTML as the reader and /view/{ID}.html show it: made safe by
// mime::sanitize_html (remote images, fonts and CSS removed unless `remote`,
// `blocked` counting them), as a whole page; "" when it has no HTML. Its cid:
// images point at /api/mailroom/message/{ID}/part/{PartID}, or with
// `inline_images` are the parts themselves as data: URLs (images only), so
// the page needs nothing from the server (message_reader.cpp).
struct ShownHtml {
  std::string page;
  std::size_t blocked = 0;
};
ShownHtml shown_html(const MessageView& v, bool remote, bool inline_images);

struct MailApi::Impl {
  store::MailStore& store;
  SubmitMessage submit;
  MailApiSettings settings;
  Router router;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  mutable SummaryCache cache;  // the list's summaries, bounded
  ServerControls controls;

  Impl(store::MailStore& s, SubmitMessage sub, MailApiSettings set, ServerControls c)
      : store(s), submit(std::move(sub)), settings(std::move(set)), controls(std::move(c)) {}

  // The account as the store spells it (a record's, an ID's): 0 when unknown.
  std::uint32_t uidvalidity(const std::string& account) const {
    return store.inbox_uidvalidity(account);
  }

  // Whether a request may see and change `account`'s mail (logins.hpp:
  // a logged-in user only their own; test mode every account).
  static bool may_see(const Request& r, std::string_view account) {
    return !r.account || *r.account == account;
  }
  // 403 when a request names an account that is not the user's.
  static void check_account(const Request& r, const std::string& account) {
    if (!may_see(r, store::normalize_mailbox(account)))
      throw NotYours("you are logged in as " + *r.account + ": the account '" + account +
                     "' is not yours");
  }

  // Every INBOX message the request may see, in arrival order.
  std::vector<store::MessagePtr> inbox(const Request& r) const {
    if (!r.account) return store.all();
    if (r.account->empty()) return {};
    try {
      return store.messages(*r.account, kInbox);
    } catch (const store::StoreError&) {
      return {};
    }
  }

  // ... newest first.
  std::vector<store::MessagePtr> newest_first(const Request& r) const {
    auto all = inbox(r);
    std::reverse(all.begin(), all.end());
    return all;
  }

  // A page of them, newest first, without walking the rest: the store's
  // arrival index of every INBOX in test mode (O(limit log n)), the user's
  // own INBOX by UID, newest first (O(limit), the order newest_first() gives).
  std::vector<store::MessagePtr> newest(const Request& r, std::size_t start,
                                        std::size_t limit) const {
    if (!r.account) return store.newest(start, limit);
    if (r.account->empty()) return {};
    try {
      return store.newest(*r.account, kInbox, start, limit);
    } catch (const store::StoreError&) {
      return {};
    }
  }

  // Views with IDs, one UIDVALIDITY lookup per account.
  struct Viewer {
    const Impl& api;
    std::map<std::string, std::uint32_t, std::less<>> validity;
    std::optional<MessageView> operator()(const store::MessagePtr& m) {
      auto it = validity.find(m->account());
      if (it == validity.end()) it = validity.emplace(m->account(), api.uidvalidity(m->account())).first;
      return view_message(api.store, m, kInbox, it->second);
    }
  };

  // INBOX summaries as JSON text from the cache ("" for a message gone),
  // one UIDVALIDITY look-up per account.
  struct Summarizer {
    const Impl& api;
    std::map<std::string, std::uint32_t, std::less<>> validity;
    std::uint32_t validity_of(const std::string& account) {
      auto it = validity.find(account);
      if (it == validity.end()) it = validity.emplace(account, api.uidvalidity(account)).first;
      return it->second;
    }
    std::string operator()(const store::MessagePtr& m) {
      return api.cache.summary(api.store, m, kInbox, validity_of(m->account()));
    }
    std::string operator()(const MessageView& v) {
      return api.cache.summary(v, kInbox, validity_of(v.message->account()));
    }
  };

  // The INBOX message an ID (or "latest") names, or null; null too for a
  // message of an account the request may not see.
  store::MessagePtr find(const Request& r, const std::string& id) const {
    if (id == "latest") {
      auto page = newest(r, 0, 1);
      return page.empty() ? nullptr : page.front();
    }
    auto where = decode_message_id(id);
    if (!where || where->folder != kInbox || !may_see(r, where->account)) return nullptr;
    try {
      if (store.status(where->account, where->folder).uidvalidity != where->uidvalidity)
        return nullptr;
      return store.by_uid(where->account, where->folder, where->uid);
    } catch (const std::exception&) {
      return nullptr;
    }
  }

  std::optional<MessageView> view(const Request& r, const std::string& id) const {
    auto m = find(r, id);
    if (!m) return std::nullopt;
    return view_message(store, m, kInbox, uidvalidity(m->account()));
  }

  static Response not_found(const std::string& id) {
    return error_response(404, "no message with the ID '" + id + "'");
  }

  // Messages and unread messages of every INBOX (kept by the store, O(1)),
  // or of the logged-in user's.
  std::pair<std::size_t, std::size_t> totals(const Request& r) const {
    if (!r.account) {
      const auto c = store.inbox_counts();
      return {c.messages, c.unseen};
    }
    if (r.account->empty()) return {0, 0};
    try {
      const auto s = store.status(*r.account, kInbox);
      return {s.messages, s.unseen};
    } catch (const store::StoreError&) {
      return {0, 0};
    }
  }

  // MessagesSummary: {total, unread, count, messages_count, start, tags,
  // messages}. The list is a page of the store's arrival index with
  // summaries from the cache; a search still reads every message.
  Response summaries(const Request& r, const std::vector<SearchTerm>* terms) {
    const std::uint64_t start = number_param(r, "start", 0, 1u << 30);
    const std::uint64_t limit = number_param(r, "limit", 50, 1000);
    const auto [total, unread] = totals(r);
    std::string page;
    std::size_t count = 0, matching = 0;
    Summarizer summarize{*this, {}};
    auto add = [&](const std::string& summary) {
      if (summary.empty()) return;
      if (count++) page.push_back(',');
      page += summary;
    };
    if (!terms) {
      matching = total;
      count = cache.append_page(
          store, newest(r, start, limit), kInbox,
          [&](const std::string& account) { return summarize.validity_of(account); }, page);
    } else {
      Viewer viewer{*this, {}};
      for (const auto& m : newest_first(r)) {
        auto v = viewer(m);
        if (!v || !search_matches(*terms, *v)) continue;
        if (matching >= start && count < limit) add(summarize(*v));
        ++matching;
      }
    }
    Response out;
    out.header("Content-Type", "application/json");
    std::string& b = out.body;
    b.reserve(page.size() + 160);
    b.append("{\"total\":").append(std::to_string(total));
    b.append(",\"unread\":").append(std::to_string(unread));
    b.append(",\"count\":").append(std::to_string(count));
    b.append(",\"messages_count\":").append(std::to_string(matching));
    b.append(",\"messages_unread\":").append(std::to_string(unread));
    b.append(",\"start\":").append(std::to_string(start));
    b.append(",\"tags\":[],\"messages\":[").append(page).append("]}");
    return out;
  }

  // A search in Mailpit's syntax; BadField naming `field` when it is wrong.
  static std::vector<SearchTerm> checked_search(std::string_view query, const std::string& field) {
    try {
      return parse_search(query);
    } catch (const std::invalid_argument& e) {
      // parse_search names the field "query": the request's may be another.
      std::string why = e.what();
      if (why.rfind("query: ", 0) == 0) why.erase(0, 7);
      throw BadField(field + ": " + why);
    }
  }

  // The INBOX messages a search finds, by account.
  std::map<std::string, std::vector<std::uint32_t>> matching(const Request& r,
                                                             const std::vector<SearchTerm>& terms) {
    std::map<std::string, std::vector<std::uint32_t>> out;
    Viewer viewer{*this, {}};
    for (const auto& m : inbox(r))
      if (auto v = viewer(m); v && search_matches(terms, *v)) out[m->account()].push_back(m->uid);
    return out;
  }

  // Every tag of the INBOX messages a request may see, with how many carry
  // it (Mailpit's /api/v1/info "Tags"), sorted by name.
  json::object tag_counts(const Request& r) const {
    std::map<std::string, std::uint64_t> counts;
    Viewer viewer{*this, {}};
    for (const auto& m : inbox(r))
      if (auto v = viewer(m))
        for (auto& t : message_tags(*v)) ++counts[t];
    json::object out;
    for (const auto& [tag, n] : counts) out[tag] = n;
    return out;
  }

  // The INBOX messages an ID list names (all of them when `ids` is empty);
  // throws BadField for an unknown ID.
  std::map<std::string, std::vector<std::uint32_t>> by_account(const Request& r,
                                                               const std::vector<std::string>& ids) {
    std::map<std::string, std::vector<std::uint32_t>> out;
    if (ids.empty()) {
      for (const auto& m : inbox(r)) out[m->account()].push_back(m->uid);
      return out;
    }
    for (const auto& id : ids) {
      auto m = find(r, id);
      if (!m) throw BadField("IDs: no message with the ID '" + id + "'");
      out[m->account()].push_back(m->uid);
    }
    return out;
  }

  void remove(const std::map<std::string, std::vector<std::uint32_t>>& uids) {
    for (const auto& [account, list] : uids) {
      store.store(account, kInbox, list, store::FlagChange::Add, {"\\Deleted"});
      store.expunge(account, kInbox, list);
    }
  }

  void set_read(const std::map<std::string, std::vector<std::uint32_t>>& uids, bool read) {
    for (const auto& [account, list] : uids)
      store.store(account, kInbox, list, read ? store::FlagChange::Add : store::FlagChange::Remove,
                  {"\\Seen"});
  }

  Answer send(const Request& r);  // mail_api_send.cpp
  // Sends a built message through the server; the 413 or 503 answer when it
  // is refused (BadField for bad addresses).
  std::optional<Response> submit_built(const std::string& from,
                                       const std::vector<std::string>& rcpts, std::string data);
  // Where a sent message went, as the send and compose answers say it: the
  // recipients delivered here ("Delivered") and those queued ("Queued").
  void add_delivery(json::object& answer, const std::vector<std::string>& rcpts) const {
    json::array delivered, queued;
    for (const auto& rcpt : rcpts)
      (settings.is_remote && settings.is_remote(rcpt) ? queued : delivered).emplace_back(rcpt);
    answer["Delivered"] = std::move(delivered);
    answer["Queued"] = std::move(queued);
  }
  Answer compose(const Request& r);  // compose.cpp
  // The decoded part `part_id` of the message `v` (the one `id` names, when found).
  static Response part(const std::optional<MessageView>& v, const std::string& id,
                       const std::string& part_id);
  void add_routes();
  void add_mailroom_routes();  // mailroom_api.cpp
  void add_reader_routes();    // message_reader.cpp
  void add_web_routes();       // web_files.cpp
  void add_thread_routes();    // threads_api.cpp
  void add_server_routes();    // server_routes.cpp: tags, release, queue, transcripts
  void add_rule_routes();      // rule_routes.cpp: reply rules and Mailpit's chaos
  Response web_file(const std::string& name) const;
  // A message of any folder by its ID (mailroom's routes).
  std::optional<MessageView> locate(const Request& r, const std::string& id) const;
  // The message of `account` whose Message-ID is `message_id` ("<id>"): the
  // first found, folder by folder; nullopt when none is.
  std::optional<MessageView> find_by_message_id(const std::string& account,
                                                std::string_view message_id) const;
  // The message a reply's or forward's draft answers, by the ID it was saved
  // with (`id`, X-Mailroom-Reply-To); when that no longer names it (moved by
  // IMAP or the web client: another folder, another UID), by the Message-ID
  // the draft kept of it (X-Mailroom-Reply-To-Message-ID, else a reply's
  // In-Reply-To) in the same account. nullopt when it is gone.
  std::optional<MessageView> answered_by_draft(const Request& r, const std::string& id,
                                               const MessageView& draft) const;
  // The folder a request's `account` and `folder` (default INBOX) name:
  // its messages in UID order and its status; BadField for a missing
  // parameter, FolderMissing for an account or folder that is not there.
  struct FolderListing {
    std::string account, folder;
    std::vector<store::MessagePtr> messages;
    store::FolderStatus status;
  };
  struct FolderMissing : std::runtime_error {
    using std::runtime_error::runtime_error;
  };
  FolderListing folder_listing(const Request& r) const;
  // A message's summary with its flags and keywords ("Flags"), as the folder routes list it.
  static json::object folder_summary(const MessageView& v);
  static json::array flag_list(const MessageView& v);  // system flags, then keywords
  // GET .../message/{ID}/raw: the message as stored, as text.
  static Response raw_source(const MessageView& v) {
    Response r;
    r.shared_body = v.raw;
    r.header("Content-Type", "text/plain; charset=utf-8");
    r.header("X-Content-Type-Options", "nosniff");
    return r;
  }
  std::map<std::pair<std::string, std::string>, std::vector<std::uint32_t>> located(
      const Request& r, const std::vector<std::string>& ids) const;
};

}  // namespace mailroom::http
