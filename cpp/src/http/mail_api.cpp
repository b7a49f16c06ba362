// Mailpit's API v1 over the mail store (see mail_api.hpp).
#include "mailroom/http/mail_api.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>

#include "mailroom/mime/builder.hpp"
#include "mailroom/mime/codecs.hpp"
#include "mailroom/mime/header_fields.hpp"
#include "mailroom/store/flags.hpp"
#include "mailroom/text.hpp"
#include "links_and_codes.hpp"
#include "message_view.hpp"
#include "search.hpp"

namespace mailroom::http {

namespace json = boost::json;

extern const std::string_view kOpenApiDocument;  // openapi.cpp

namespace {

constexpr const char* kInbox = "INBOX";

Response json_response(const json::value& v, int status = 200) {
  Response r;
  r.status = status;
  r.header("Content-Type", "application/json");
  r.body = json::serialize(v);
  return r;
}

Response ok_text() {
  Response r;
  r.header("Content-Type", "text/plain; charset=utf-8");
  r.body = "ok";
  return r;
}

// A field of a request body that is not what it must be.
struct BadField : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

// A query parameter as a number within [lo, hi], `fallback` when absent.
std::uint64_t number_param(const Request& r, const char* name, std::uint64_t fallback,
                           std::uint64_t hi) {
  std::string text;
  if (!query_param(r.query, name, text) || text.empty()) return fallback;
  std::uint64_t n = 0;
  if (!parse_number(text, n) || n > hi)
    throw BadField(std::string(name) + " must be a whole number from 0 to " + std::to_string(hi) +
                   ", not '" + text + "'");
  return n;
}

json::value parse_body(const Request& r) {
  if (trim(r.body).empty()) return json::object{};
  boost::system::error_code ec;
  json::value v = json::parse(r.body, ec);
  if (ec) throw BadField("the body is not JSON: " + ec.message());
  if (!v.is_object()) throw BadField("the body must be a JSON object");
  return v;
}

const json::value* member(const json::object& o, const char* name) {
  auto it = o.find(name);
  return it == o.end() || it->value().is_null() ? nullptr : &it->value();
}

std::string string_member(const json::object& o, const char* name, const std::string& where) {
  const json::value* v = member(o, name);
  if (!v) return {};
  if (!v->is_string()) throw BadField(where + name + " must be a string");
  return std::string(v->as_string());
}

std::vector<std::string> string_list(const json::object& o, const char* name) {
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

}  // namespace

struct MailApi::Impl {
  store::MailStore& store;
  SubmitMessage submit;
  MailApiSettings settings;
  Router router;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();

  Impl(store::MailStore& s, SubmitMessage sub, MailApiSettings set)
      : store(s), submit(std::move(sub)), settings(std::move(set)) {}

  std::uint32_t uidvalidity(const std::string& account) const {
    try {
      return store.status(account, kInbox).uidvalidity;
    } catch (const std::exception&) {
      return 0;
    }
  }

  // Every INBOX message, newest first.
  std::vector<store::MessagePtr> newest_first() const {
    auto all = store.all();
    std::reverse(all.begin(), all.end());
    return all;
  }

  // Views with IDs, one UIDVALIDITY lookup per account.
  struct Viewer {
    const Impl& api;
    std::map<std::string, std::uint32_t, std::less<>> validity;
    std::optional<MessageView> operator()(const store::MessagePtr& m) {
      auto it = validity.find(m->account);
      if (it == validity.end()) it = validity.emplace(m->account, api.uidvalidity(m->account)).first;
      return view_message(api.store, m, kInbox, it->second);
    }
  };

  // The message an ID (or "latest") names, or null.
  store::MessagePtr find(const std::string& id) const {
    if (id == "latest") {
      auto all = store.all();
      return all.empty() ? nullptr : all.back();
    }
    auto where = decode_message_id(id);
    if (!where || where->folder != kInbox) return nullptr;
    try {
      if (store.status(where->account, where->folder).uidvalidity != where->uidvalidity)
        return nullptr;
      return store.by_uid(where->account, where->folder, where->uid);
    } catch (const std::exception&) {
      return nullptr;
    }
  }

  std::optional<MessageView> view(const std::string& id) const {
    auto m = find(id);
    if (!m) return std::nullopt;
    return view_message(store, m, kInbox, uidvalidity(m->account));
  }

  static Response not_found(const std::string& id) {
    return error_response(404, "no message with the ID '" + id + "'");
  }

  std::pair<std::size_t, std::size_t> totals() const {
    auto all = store.all();
    std::size_t unread = 0;
    for (const auto& m : all)
      if (!(m->flags & store::kSeen)) ++unread;
    return {all.size(), unread};
  }

  // MessagesSummary: {total, unread, count, messages_count, start, tags, messages}.
  Response summaries(const Request& r, const std::vector<SearchTerm>* terms) {
    const std::uint64_t start = number_param(r, "start", 0, 1u << 30);
    const std::uint64_t limit = number_param(r, "limit", 50, 1000);
    auto all = newest_first();
    std::size_t unread = 0;
    for (const auto& m : all)
      if (!(m->flags & store::kSeen)) ++unread;
    json::array page;
    std::size_t matching = 0;
    Viewer viewer{*this, {}};
    if (!terms) {
      matching = all.size();
      for (std::size_t i = start; i < all.size() && page.size() < limit; ++i)
        if (auto v = viewer(all[i])) page.push_back(message_summary(*v));
    } else {
      for (const auto& m : all) {
        auto v = viewer(m);
        if (!v || !search_matches(*terms, *v)) continue;
        if (matching >= start && page.size() < limit) page.push_back(message_summary(*v));
        ++matching;
      }
    }
    json::object out{{"total", static_cast<std::uint64_t>(all.size())},
                     {"unread", static_cast<std::uint64_t>(unread)},
                     {"count", page.size()},
                     {"messages_count", static_cast<std::uint64_t>(matching)},
                     {"messages_unread", static_cast<std::uint64_t>(unread)},
                     {"start", start},
                     {"tags", json::array{}},
                     {"messages", std::move(page)}};
    return json_response(out);
  }

  // The INBOX messages an ID list names (all of them when `ids` is empty);
  // throws BadField for an unknown ID.
  std::map<std::string, std::vector<std::uint32_t>> by_account(const std::vector<std::string>& ids) {
    std::map<std::string, std::vector<std::uint32_t>> out;
    if (ids.empty()) {
      for (const auto& m : store.all()) out[m->account].push_back(m->uid);
      return out;
    }
    for (const auto& id : ids) {
      auto m = find(id);
      if (!m) throw BadField("IDs: no message with the ID '" + id + "'");
      out[m->account].push_back(m->uid);
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

  Answer send(const Request& r);
  Response part(const std::string& id, const std::string& part_id);
  void add_routes();
};

namespace {

mime::Mailbox mailbox(const json::value& v, const std::string& where) {
  if (!v.is_object()) throw BadField(where + " must be an object {\"Email\": ..., \"Name\": ...}");
  const auto& o = v.as_object();
  mime::Mailbox m;
  m.address = string_member(o, "Email", where + ".");
  m.display_name = string_member(o, "Name", where + ".");
  if (m.address.empty()) throw BadField(where + ".Email is required");
  return m;
}

std::vector<mime::Mailbox> mailboxes(const json::object& o, const char* name) {
  std::vector<mime::Mailbox> out;
  const json::value* v = member(o, name);
  if (!v) return out;
  if (!v->is_array()) throw BadField(std::string(name) + " must be an array");
  std::size_t i = 0;
  for (const auto& e : v->as_array())
    out.push_back(mailbox(e, std::string(name) + "[" + std::to_string(i++) + "]"));
  return out;
}

}  // namespace

// POST /api/v1/send (Mailpit's SendRequest).
Answer MailApi::Impl::send(const Request& r) {
  json::value body = parse_body(r);
  const auto& o = body.as_object();
  mime::MessageSpec spec;
  const json::value* from = member(o, "From");
  if (!from) throw BadField("From is required");
  spec.from = mailbox(*from, "From");
  spec.to = mailboxes(o, "To");
  spec.cc = mailboxes(o, "Cc");
  spec.reply_to = mailboxes(o, "ReplyTo");
  std::vector<std::string> bcc = string_list(o, "Bcc");
  if (member(o, "Subject")) spec.subject = string_member(o, "Subject", "");
  if (member(o, "Text")) spec.text = string_member(o, "Text", "");
  if (member(o, "HTML")) spec.html = string_member(o, "HTML", "");
  if (const json::value* atts = member(o, "Attachments")) {
    if (!atts->is_array()) throw BadField("Attachments must be an array");
    std::size_t i = 0;
    for (const auto& a : atts->as_array()) {
      const std::string where = "Attachments[" + std::to_string(i++) + "].";
      if (!a.is_object()) throw BadField(where.substr(0, where.size() - 1) + " must be an object");
      mime::AttachmentSpec att;
      att.filename = string_member(a.as_object(), "Filename", where);
      if (att.filename.empty()) throw BadField(where + "Filename is required");
      bool bad = false;
      att.data = mime::base64_decode(string_member(a.as_object(), "Content", where), &bad);
      if (bad) throw BadField(where + "Content is not valid base64");
      att.content_type = string_member(a.as_object(), "ContentType", where);
      if (att.content_type.empty()) att.content_type = "application/octet-stream";
      spec.attachments.push_back(std::move(att));
    }
  }
  if (const json::value* headers = member(o, "Headers")) {
    if (!headers->is_object()) throw BadField("Headers must be an object of strings");
    for (const auto& kv : headers->as_object()) {
      if (!kv.value().is_string()) throw BadField("Headers." + std::string(kv.key()) + " must be a string");
      spec.headers.emplace_back(std::string(kv.key()), std::string(kv.value().as_string()));
    }
  }
  std::vector<std::string> tags = string_list(o, "Tags");
  if (!tags.empty()) {
    std::string joined;
    for (const auto& t : tags) joined += (joined.empty() ? "" : ", ") + t;
    spec.headers.emplace_back("X-Tags", joined);
  }
  std::vector<std::string> rcpts;
  for (const auto* list : {&spec.to, &spec.cc})
    for (const auto& m : *list) rcpts.push_back(m.address);
  for (const auto& b : bcc) rcpts.push_back(b);
  if (rcpts.empty()) throw BadField("To, Cc or Bcc: at least one recipient is required");
  const std::string message_id = mime::make_message_id(settings.hostname);
  spec.message_id = message_id;
  std::string data;
  try {
    data = mime::build_message(spec);
  } catch (const std::invalid_argument& e) {
    throw BadField(e.what());
  }
  if (data.size() > settings.max_message_size)
    return Answer::now(error_response(
        413, "the message is larger than " + std::to_string(settings.max_message_size) + " octets"));
  const std::uint64_t before = store.last_seq();
  try {
    submit(spec.from->address, rcpts, std::move(data));
  } catch (const std::invalid_argument& e) {
    throw BadField(e.what());
  } catch (const std::exception& e) {
    return Answer::now(error_response(503, e.what()));
  }
  // The ID of the copy stored for the first local recipient, if any.
  std::string id;
  for (const auto& m : store.since(before)) {
    auto v = view_message(store, m, kInbox, uidvalidity(m->account));
    if (v && decoded_header(*v->parsed, "Message-ID") == message_id) {
      id = v->id;
      break;
    }
  }
  return Answer::now(json_response(json::object{{"ID", id}}));
}

// GET /api/v1/message/{ID}/part/{PartID}: the decoded part, its own type.
Response MailApi::Impl::part(const std::string& id, const std::string& part_id) {
  auto v = view(id);
  if (!v) return not_found(id);
  const auto numbers = part_numbers(*v->parsed);
  for (std::uint32_t i = 0; i < numbers.size(); ++i) {
    if (numbers[i] != part_id || v->parsed->parts[i].is_multipart) continue;
    const auto& p = v->parsed->parts[i];
    Response r;
    std::string type = p.content_type;
    if (!p.charset().empty()) type += "; charset=" + std::string(p.charset());
    r.header("Content-Type", type);
    // Never rendered as a page of this origin: a download.
    r.header("Content-Disposition", "attachment");
    r.header("X-Content-Type-Options", "nosniff");
    r.body = v->parsed->decoded_body(i);
    return r;
  }
  return error_response(404, "message '" + id + "' has no part " + part_id);
}

void MailApi::Impl::add_routes() {
  auto& R = router;
  R.add("GET", "/api/v1/messages", [this](Request& r, const PathParams&) {
    return Answer::now(summaries(r, nullptr));
  });
  R.add("PUT", "/api/v1/messages", [this](Request& r, const PathParams&) {
    json::value body = parse_body(r);
    const auto& o = body.as_object();
    bool read = false;
    if (const json::value* v = member(o, "Read")) {
      if (!v->is_bool()) throw BadField("Read must be true or false");
      read = v->as_bool();
    }
    set_read(by_account(string_list(o, "IDs")), read);
    return Answer::now(ok_text());
  });
  R.add("DELETE", "/api/v1/messages", [this](Request& r, const PathParams&) {
    json::value body = parse_body(r);
    remove(by_account(string_list(body.as_object(), "IDs")));
    return Answer::now(ok_text());
  });
  auto search_terms = [](const Request& r) {
    std::string query;
    if (!query_param(r.query, "query", query)) throw BadField("query is required");
    try {
      return parse_search(query);
    } catch (const std::invalid_argument& e) {
      throw BadField(e.what());
    }
  };
  R.add("GET", "/api/v1/search", [this, search_terms](Request& r, const PathParams&) {
    auto terms = search_terms(r);
    return Answer::now(summaries(r, &terms));
  });
  R.add("DELETE", "/api/v1/search", [this, search_terms](Request& r, const PathParams&) {
    auto terms = search_terms(r);
    std::map<std::string, std::vector<std::uint32_t>> doomed;
    Viewer viewer{*this, {}};
    for (const auto& m : store.all())
      if (auto v = viewer(m); v && search_matches(terms, *v)) doomed[m->account].push_back(m->uid);
    remove(doomed);
    return Answer::now(ok_text());
  });
  R.add("GET", "/api/v1/message/{ID}", [this](Request&, const PathParams& p) {
    auto m = find(p[0]);
    if (!m) return Answer::now(not_found(p[0]));
    // Mailpit marks a message read when it is fetched.
    if (!(m->flags & store::kSeen)) {
      try {
        store.store(m->account, kInbox, {m->uid}, store::FlagChange::Add, {"\\Seen"});
        m = store.by_uid(m->account, kInbox, m->uid);
      } catch (const std::exception&) {
        return Answer::now(not_found(p[0]));
      }
    }
    auto v = m ? view_message(store, m, kInbox, uidvalidity(m->account)) : std::nullopt;
    if (!v) return Answer::now(not_found(p[0]));
    return Answer::now(json_response(message_detail(*v)));
  });
  R.add("GET", "/api/v1/message/{ID}/headers", [this](Request&, const PathParams& p) {
    auto v = view(p[0]);
    return Answer::now(v ? json_response(message_headers(*v->parsed)) : not_found(p[0]));
  });
  R.add("GET", "/api/v1/message/{ID}/raw", [this](Request&, const PathParams& p) {
    auto m = find(p[0]);
    if (!m) return Answer::now(not_found(p[0]));
    Response r;
    try {
      r.shared_body = store.read(*m);
    } catch (const std::exception&) {
      return Answer::now(not_found(p[0]));
    }
    r.header("Content-Type", "text/plain; charset=utf-8");
    r.header("X-Content-Type-Options", "nosniff");
    return Answer::now(std::move(r));
  });
  R.add("GET", "/api/v1/message/{ID}/part/{PartID}", [this](Request&, const PathParams& p) {
    return Answer::now(part(p[0], p[1]));
  });
  // mailroom's own: what Mailpit's users asked for.
  R.add("GET", "/api/mailroom/message/{ID}/links", [this](Request&, const PathParams& p) {
    auto v = view(p[0]);
    if (!v) return Answer::now(not_found(p[0]));
    json::array links;
    for (auto& l : message_links(*v->parsed)) links.emplace_back(l);
    return Answer::now(json_response(json::object{{"ID", v->id}, {"Links", std::move(links)}}));
  });
  R.add("GET", "/api/mailroom/message/{ID}/codes", [this](Request&, const PathParams& p) {
    auto v = view(p[0]);
    if (!v) return Answer::now(not_found(p[0]));
    json::array codes;
    for (auto& c : message_codes(*v->parsed)) codes.emplace_back(c);
    return Answer::now(json_response(json::object{{"ID", v->id}, {"Codes", std::move(codes)}}));
  });
  R.add("POST", "/api/v1/send", [this](Request& r, const PathParams&) { return send(r); });
  R.add("GET", "/api/v1/info", [this](Request&, const PathParams&) {
    auto [total, unread] = totals();
    const double uptime =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    json::object info{{"Version", settings.version},
                      {"LatestVersion", ""},
                      {"Database", store.in_memory() ? std::string() : store.root().string()},
                      {"DatabaseSize", static_cast<std::uint64_t>(store.bytes())},
                      {"Messages", static_cast<std::uint64_t>(total)},
                      {"Unread", static_cast<std::uint64_t>(unread)},
                      {"Tags", json::object{}},
                      {"RuntimeStats", json::object{{"Uptime", std::floor(uptime)}}}};
    return Answer::now(json_response(info));
  });
  R.add("GET", "/api/v1/webui", [](Request&, const PathParams&) {
    json::object ui{{"Label", ""},
                    {"MessageRelay", json::object{{"Enabled", false}}},
                    {"SpamAssassin", false},
                    {"ChaosEnabled", false},
                    {"DuplicatesIgnored", false}};
    return Answer::now(json_response(ui));
  });
  R.add("GET", "/api/v1/tags", [this](Request&, const PathParams&) {
    std::vector<std::string> tags;
    Viewer viewer{*this, {}};
    for (const auto& m : store.all())
      if (auto v = viewer(m))
        for (auto& t : message_tags(*v))
          if (std::find(tags.begin(), tags.end(), t) == tags.end()) tags.push_back(t);
    std::sort(tags.begin(), tags.end());
    json::array out;
    for (auto& t : tags) out.emplace_back(t);
    return Answer::now(json_response(out));
  });
  R.add("GET", "/api/openapi.json", [](Request&, const PathParams&) {
    Response r;
    r.header("Content-Type", "application/json");
    r.body = std::string(kOpenApiDocument);
    return Answer::now(std::move(r));
  });
  for (const char* path : {"/livez", "/readyz"})
    R.add("GET", path, [](Request&, const PathParams&) { return Answer::now(ok_text()); });
  R.add("GET", "/view/{ID}.txt", [this](Request&, const PathParams& p) {
    auto v = view(p[0]);
    if (!v) return Answer::now(not_found(p[0]));
    Response r;
    r.header("Content-Type", "text/plain; charset=utf-8");
    r.body = message_text(*v->parsed);
    return Answer::now(std::move(r));
  });
  R.add("GET", "/view/{ID}.html", [this](Request&, const PathParams& p) {
    auto v = view(p[0]);
    if (!v) return Answer::now(not_found(p[0]));
    std::string html = message_html(*v->parsed);
    if (html.empty()) return Answer::now(error_response(404, "message '" + p[0] + "' has no HTML part"));
    Response r;
    r.header("Content-Type", "text/html; charset=utf-8");
    // The message's HTML runs nothing and loads nothing from elsewhere.
    r.header("Content-Security-Policy",
             "default-src 'none'; img-src 'self' data: cid:; style-src 'unsafe-inline'; "
             "sandbox");
    r.header("X-Content-Type-Options", "nosniff");
    r.body = std::move(html);
    return Answer::now(std::move(r));
  });
}

MailApi::MailApi(store::MailStore& store, SubmitMessage submit, MailApiSettings settings)
    : impl_(std::make_unique<Impl>(store, std::move(submit), std::move(settings))) {
  impl_->add_routes();
}

MailApi::~MailApi() = default;

Answer MailApi::handle(Request& request) {
  try {
    return impl_->router.route(request);
  } catch (const BadField& e) {
    return Answer::now(error_response(400, e.what()));
  } catch (const store::LimitExceeded& e) {
    return Answer::now(error_response(503, e.what()));
  } catch (const std::exception& e) {
    return Answer::now(error_response(500, e.what()));
  }
}

Response MailApi::json_text(std::string text) {
  Response r;
  r.header("Content-Type", "application/json");
  r.body = std::move(text);
  return r;
}

std::string MailApi::stats_event() const {
  auto [total, unread] = impl_->totals();
  json::object e{{"Type", "stats"},
                 {"Data", json::object{{"Total", static_cast<std::uint64_t>(total)},
                                       {"Unread", static_cast<std::uint64_t>(unread)},
                                       {"Version", impl_->settings.version}}}};
  return json::serialize(e);
}

std::vector<std::string> MailApi::events_for(const store::StoreChange& c) const {
  using Kind = store::StoreChange::Kind;
  std::vector<std::string> out;
  if (c.folder != kInbox) return out;
  const std::uint32_t validity = impl_->uidvalidity(c.account);
  const std::string id = encode_message_id({c.account, kInbox, validity, c.uid});
  if (c.kind == Kind::Appended) {
    auto m = impl_->store.by_uid(c.account, kInbox, c.uid);
    auto v = m ? view_message(impl_->store, m, kInbox, validity) : std::nullopt;
    if (!v) return out;
    out.push_back(json::serialize(json::object{{"Type", "new"}, {"Data", message_summary(*v)}}));
  } else if (c.kind == Kind::Expunged) {
    out.push_back(json::serialize(json::object{{"Type", "delete"}, {"Data", json::object{{"ID", id}}}}));
  } else if (c.kind == Kind::FlagsChanged) {
    auto m = impl_->store.by_uid(c.account, kInbox, c.uid);
    if (!m) return out;
    out.push_back(json::serialize(json::object{
        {"Type", "update"},
        {"Data", json::object{{"ID", id}, {"Read", (m->flags & store::kSeen) != 0}}}}));
  } else {
    return out;
  }
  out.push_back(stats_event());
  return out;
}

bool MailApi::parse_wait(const Request& r, WaitQuery& q, Response& error) {
  std::string value;
  for (auto [name, field] : {std::pair{"to", &q.to}, {"from", &q.from}, {"subject", &q.subject}})
    if (query_param(r.query, name, value)) *field = lowered(value);
  if (query_param(r.query, "timeout", value)) {
    char* end = nullptr;
    const double s = std::strtod(value.c_str(), &end);
    if (value.empty() || *end != '\0' || !(s >= 0) || s > 3600) {
      error = error_response(400, "timeout must be seconds from 0 to 3600, not '" + value + "'");
      return false;
    }
    q.timeout = std::chrono::milliseconds(static_cast<std::int64_t>(s * 1000));
  }
  if (query_param(r.query, "since", value)) {
    char* end = nullptr;
    q.since = std::strtod(value.c_str(), &end);
    if (value.empty() || *end != '\0' || !std::isfinite(q.since)) {
      error = error_response(400, "since must be seconds since the epoch, not '" + value + "'");
      return false;
    }
  }
  return true;
}

namespace {

bool wait_matches(const WaitQuery& q, const MessageView& v) {
  const auto& p = *v.parsed;
  auto received = v.message->envelope ? v.message->envelope->received_at
                                      : static_cast<double>(v.message->internal_date);
  if (received + 0.001 < q.since) return false;
  auto has = [&](std::string_view field, const std::string& needle) {
    if (needle.empty()) return true;
    std::string text = decoded_header(p, field);
    if (field == "To") {
      text += " " + decoded_header(p, "Cc");
      if (v.message->envelope)
        for (const auto& r : v.message->envelope->rcpt_to) text += " " + r;
    }
    return lowered(text).find(needle) != std::string::npos;
  };
  return has("To", q.to) && has("From", q.from) && has("Subject", q.subject);
}

}  // namespace

std::string MailApi::wait_match(const WaitQuery& q) const {
  Impl::Viewer viewer{*impl_, {}};
  for (const auto& m : impl_->newest_first()) {
    auto v = viewer(m);
    if (v && wait_matches(q, *v)) return json::serialize(message_summary(*v));
  }
  return {};
}

std::string MailApi::wait_match(const WaitQuery& q, const std::string& account,
                                std::uint32_t uid) const {
  auto m = impl_->store.by_uid(account, kInbox, uid);
  if (!m) return {};
  auto v = view_message(impl_->store, m, kInbox, impl_->uidvalidity(account));
  return v && wait_matches(q, *v) ? json::serialize(message_summary(*v)) : std::string();
}

}  // namespace mailroom::http
