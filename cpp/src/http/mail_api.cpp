// Mailpit's API v1 over the mail store (see mail_api.hpp).
#include "mailroom/http/mail_api.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>

#include "mailroom/mime/header_fields.hpp"
#include "mailroom/store/flags.hpp"
#include "mailroom/text.hpp"
#include "mail_api_impl.hpp"

namespace mailroom::http {

const std::string& openapi_document();  // openapi.cpp

// GET /api/v1/message/{ID}/part/{PartID} (and /api/mailroom/..., any
// folder): the decoded part, its own type.
Response MailApi::Impl::part(const std::optional<MessageView>& v, const std::string& id,
                             const std::string& part_id) {
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
  // Mailpit: {"IDs": [...], "Read": bool} sets the read status of those
  // messages; {"Search": query, "Read": bool} of those the search finds
  // (Search wins, as in Mailpit); neither, of every message.
  R.add("PUT", "/api/v1/messages", [this](Request& r, const PathParams&) {
    json::value body = parse_body(r);
    const auto& o = body.as_object();
    bool read = false;
    if (const json::value* v = member(o, "Read")) {
      if (!v->is_bool()) throw BadField("Read must be true or false");
      read = v->as_bool();
    }
    const std::string search = string_member(o, "Search", "");
    if (!trim(search).empty()) {
      auto terms = checked_search(search, "Search");
      set_read(matching(r, terms), read);
      return Answer::now(ok_text());
    }
    set_read(by_account(r, string_list(o, "IDs")), read);
    return Answer::now(ok_text());
  });
  R.add("DELETE", "/api/v1/messages", [this](Request& r, const PathParams&) {
    json::value body = parse_body(r);
    remove(by_account(r, string_list(body.as_object(), "IDs")));
    return Answer::now(ok_text());
  });
  auto search_terms = [](const Request& r) {
    std::string query;
    if (!query_param(r.query, "query", query)) throw BadField("query is required");
    return checked_search(query, "query");
  };
  R.add("GET", "/api/v1/search", [this, search_terms](Request& r, const PathParams&) {
    auto terms = search_terms(r);
    return Answer::now(summaries(r, &terms));
  });
  R.add("DELETE", "/api/v1/search", [this, search_terms](Request& r, const PathParams&) {
    auto terms = search_terms(r);
    remove(matching(r, terms));
    return Answer::now(ok_text());
  });
  R.add("GET", "/api/v1/message/{ID}", [this](Request& r, const PathParams& p) {
    auto m = find(r, p[0]);
    if (!m) return Answer::now(not_found(p[0]));
    // Mailpit marks a message read when it is fetched.
    if (!(m->flags & store::kSeen)) {
      try {
        store.store(m->account(), kInbox, {m->uid}, store::FlagChange::Add, {"\\Seen"});
        m = store.by_uid(m->account(), kInbox, m->uid);
      } catch (const std::exception&) {
        return Answer::now(not_found(p[0]));
      }
    }
    auto v = m ? view_message(store, m, kInbox, uidvalidity(m->account())) : std::nullopt;
    if (!v) return Answer::now(not_found(p[0]));
    return Answer::now(json_response(message_detail(*v)));
  });
  R.add("GET", "/api/v1/message/{ID}/headers", [this](Request& r, const PathParams& p) {
    auto v = view(r, p[0]);
    return Answer::now(v ? json_response(message_headers(*v->parsed)) : not_found(p[0]));
  });
  R.add("GET", "/api/v1/message/{ID}/raw", [this](Request& r, const PathParams& p) {
    auto v = view(r, p[0]);
    return Answer::now(v ? raw_source(*v) : not_found(p[0]));
  });
  R.add("GET", "/api/v1/message/{ID}/part/{PartID}", [this](Request& r, const PathParams& p) {
    return Answer::now(part(view(r, p[0]), p[0], p[1]));
  });
  R.add("POST", "/api/v1/send", [this](Request& r, const PathParams&) { return send(r); });
  R.add("GET", "/api/v1/info", [this](Request& r, const PathParams&) {
    auto [total, unread] = totals(r);
    const double uptime =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    json::object info{{"Version", settings.version},
                      {"LatestVersion", ""},
                      {"Database", store.in_memory() ? std::string() : store.root().string()},
                      {"DatabaseSize", static_cast<std::uint64_t>(store.bytes())},
                      {"Messages", static_cast<std::uint64_t>(total)},
                      {"Unread", static_cast<std::uint64_t>(unread)},
                      {"Tags", tag_counts(r)},
                      {"RuntimeStats", json::object{{"Uptime", std::floor(uptime)}}}};
    return Answer::now(json_response(info));
  });
  R.add("GET", "/api/v1/webui", [this](Request&, const PathParams&) {
    // Release (POST /api/v1/message/{ID}/release) works when the server
    // relays through its outgoing queue.
    const bool relay = controls.relay && controls.queue && controls.queue().has_value();
    json::object ui{{"Label", ""},
                    {"MessageRelay", json::object{{"Enabled", relay}}},
                    {"SpamAssassin", false},
                    {"ChaosEnabled", true},
                    {"DuplicatesIgnored", false}};
    return Answer::now(json_response(ui));
  });
  R.add("GET", "/api/v1/tags", [this](Request& r, const PathParams&) {
    json::array out;
    for (const auto& tag : tag_counts(r)) out.emplace_back(tag.key());
    return Answer::now(json_response(out));
  });
  R.add("GET", "/api/openapi.json", [](Request&, const PathParams&) {
    Response r;
    r.header("Content-Type", "application/json");
    r.body = openapi_document();
    return Answer::now(std::move(r));
  });
  for (const char* path : {"/livez", "/readyz"})
    R.add("GET", path, [](Request&, const PathParams&) { return Answer::now(ok_text()); });
  R.add("GET", "/view/{ID}.txt", [this](Request& request, const PathParams& p) {
    auto v = view(request, p[0]);
    if (!v) return Answer::now(not_found(p[0]));
    Response r;
    r.header("Content-Type", "text/plain; charset=utf-8");
    r.body = message_text(*v->parsed);
    return Answer::now(std::move(r));
  });
  R.add("GET", "/view/{ID}.html", [this](Request& request, const PathParams& p) {
    auto v = view(request, p[0]);
    if (!v) return Answer::now(not_found(p[0]));
    ShownHtml shown = shown_html(*v, false, true);
    if (shown.page.empty())
      return Answer::now(error_response(404, "message '" + p[0] + "' has no HTML part"));
    Response r;
    r.header("Content-Type", "text/html; charset=utf-8");
    // Sanitized, its images inline: it runs nothing and loads nothing, not
    // even from this server (whose GETs may mark a message read or wait).
    r.header("Content-Security-Policy",
             "default-src 'none'; img-src data:; style-src 'unsafe-inline'; font-src data:; sandbox");
    r.header("X-Content-Type-Options", "nosniff");
    r.header("Referrer-Policy", "no-referrer");
    r.header("X-Mailroom-Remote-Blocked", std::to_string(shown.blocked));
    r.body = std::move(shown.page);
    return Answer::now(std::move(r));
  });
}

MailApi::MailApi(store::MailStore& store, SubmitMessage submit, MailApiSettings settings,
                 ServerControls controls)
    : impl_(std::make_unique<Impl>(store, std::move(submit), std::move(settings),
                                   std::move(controls))) {
  impl_->add_routes();
  impl_->add_server_routes();
  impl_->add_rule_routes();
  impl_->add_mailroom_routes();
  impl_->add_thread_routes();
  impl_->add_reader_routes();
  impl_->add_web_routes();
}

MailApi::~MailApi() = default;

std::vector<std::pair<std::string, std::string>> MailApi::routes() const {
  return impl_->router.routes();
}

Answer MailApi::handle(Request& request) {
  try {
    return impl_->router.route(request);
  } catch (const BadField& e) {
    return Answer::now(error_response(400, e.what()));
  } catch (const NotYours& e) {
    return Answer::now(error_response(403, e.what()));
  } catch (const store::LimitExceeded& e) {
    return Answer::now(error_response(503, e.what()));
  } catch (const store::InvalidFolderName& e) {
    return Answer::now(error_response(400, e.what()));
  } catch (const store::NoSuchFolder& e) {
    return Answer::now(error_response(404, e.what()));
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

std::string MailApi::stats_event(const std::optional<std::string>& account) const {
  Request as;
  as.account = account;
  auto [total, unread] = impl_->totals(as);
  json::object e{{"Type", "stats"},
                 {"Data", json::object{{"Total", static_cast<std::uint64_t>(total)},
                                       {"Unread", static_cast<std::uint64_t>(unread)},
                                       {"Version", impl_->settings.version}}}};
  return json::serialize(e);
}

std::vector<std::string> MailApi::events_for(const store::StoreChange& c,
                                             const std::optional<std::string>& account) const {
  using Kind = store::StoreChange::Kind;
  std::vector<std::string> out;
  if (account && *account != c.account) return out;
  // mailroom's own event, for every folder (a move is an append and an
  // expunge; the tree changes when one is made, renamed or deleted): the
  // folder's counts now, after Mailpit's events for an INBOX.
  auto folder_text = [&](std::uint64_t total, std::uint64_t unread) {
    return json::serialize(json::object{
        {"Type", "mailroom.folder"},
        {"Data", json::object{{"Account", c.account},
                              {"Folder", c.folder},
                              {"Total", total},
                              {"Unread", unread}}}});
  };
  std::string folder_event;
  try {
    if (c.kind == Kind::FolderDeleted) {
      folder_event = folder_text(0, 0);
    } else {
      const auto st = impl_->store.status(c.account, c.folder);
      folder_event = folder_text(st.messages, st.unseen);
    }
  } catch (const store::NoSuchFolder&) {
    // deleted (or renamed) since: its own event follows
  }
  if (c.kind != Kind::Appended && c.kind != Kind::Expunged && c.kind != Kind::FlagsChanged) {
    if (!folder_event.empty()) out.push_back(std::move(folder_event));
    return out;
  }
  if (c.folder != kInbox) {
    if (!folder_event.empty()) out.push_back(std::move(folder_event));
    return out;
  }
  const std::uint32_t validity = impl_->uidvalidity(c.account);
  const std::string id = encode_message_id({c.account, kInbox, validity, c.uid});
  if (c.kind == Kind::Appended) {
    auto m = impl_->store.by_uid(c.account, kInbox, c.uid);
    // Made once here, the summary is the list's next time too.
    std::string summary = m ? impl_->cache.summary(impl_->store, m, kInbox, validity) : "";
    if (!summary.empty()) out.push_back("{\"Type\":\"new\",\"Data\":" + summary + "}");
  } else if (c.kind == Kind::Expunged) {
    out.push_back(json::serialize(json::object{{"Type", "delete"}, {"Data", json::object{{"ID", id}}}}));
  } else if (c.kind == Kind::FlagsChanged) {
    // Mailpit sends {ID, Read} when the read status changes and {ID, Tags}
    // when the tags do; a flag change here may be either, so both (its web
    // UI merges Data into the message it shows).
    if (auto m = impl_->store.by_uid(c.account, kInbox, c.uid)) {
      json::object data{{"ID", id}, {"Read", (m->flags & store::kSeen) != 0}};
      if (auto v = view_message(impl_->store, m, kInbox, validity)) {
        json::array tags;
        for (auto& t : message_tags(*v)) tags.emplace_back(t);
        data["Tags"] = std::move(tags);
      }
      out.push_back(json::serialize(json::object{{"Type", "update"}, {"Data", std::move(data)}}));
    }
  }
  if (!out.empty()) out.push_back(stats_event(account));
  // Mailpit's "truncate" (its web UI empties the list) when the last message
  // of the mailbox the socket watches is gone.
  if (c.kind == Kind::Expunged) {
    Request as;
    as.account = account;
    if (impl_->totals(as).first == 0)
      out.push_back(json::serialize(json::object{{"Type", "truncate"}, {"Data", nullptr}}));
  }
  if (!folder_event.empty()) out.push_back(std::move(folder_event));
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
  Request as;
  as.account = q.account;
  for (const auto& m : impl_->newest_first(as)) {
    auto v = viewer(m);
    if (v && wait_matches(q, *v)) return json::serialize(message_summary(*v));
  }
  return {};
}

std::string MailApi::wait_match(const WaitQuery& q, const std::string& account,
                                std::uint32_t uid) const {
  if (q.account && *q.account != account) return {};
  auto m = impl_->store.by_uid(account, kInbox, uid);
  if (!m) return {};
  auto v = view_message(impl_->store, m, kInbox, impl_->uidvalidity(account));
  return v && wait_matches(q, *v) ? json::serialize(message_summary(*v)) : std::string();
}

}  // namespace mailroom::http

