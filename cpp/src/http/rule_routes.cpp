// The reply rules over HTTP: GET/POST/DELETE /api/mailroom/rules (SMTP and
// IMAP rules, the fields Python's Server.reply() and imap_reply() take), and
// Mailpit's chaos triggers (GET/PUT /api/v1/chaos) as SMTP reply rules with a
// probability. Both change how the server answers every client, so with
// users they are refused (403): they belong to whoever runs the server.
#include <cctype>
#include <cmath>

#include "mail_api_impl.hpp"
#include "mailroom/engine/imap_reply_rules.hpp"
#include "mailroom/engine/reply_rules.hpp"

namespace mailroom::http {

namespace {

using engine::ImapReplyRule;
using engine::ReplyRule;

void server_wide(const Request& r, const char* what) {
  if (r.account)
    throw NotYours(std::string(what) +
                   " change how the server answers every user: with users they are set from "
                   "Python (Server.reply, Server.imap_reply)");
}

json::value times_json(int times) { return times < 0 ? json::value(nullptr) : json::value(times); }

json::object smtp_rule_json(const ReplyRule& r) {
  return json::object{{"ID", r.id},
                      {"Protocol", "smtp"},
                      {"Stage", engine::stage_name(r.stage)},
                      {"Sender", r.sender},
                      {"Recipient", r.recipient},
                      {"Code", r.code},
                      {"Text", r.text},
                      {"Delay", r.delay_ms / 1000.0},
                      {"Disconnect", r.disconnect},
                      {"Close", r.close},
                      {"Times", times_json(r.times)},
                      {"Probability", r.probability},
                      {"Chaos", r.chaos}};
}

json::object imap_rule_json(const ImapReplyRule& r) {
  return json::object{{"ID", r.id},
                      {"Protocol", "imap"},
                      {"Command", r.command},
                      {"Status", r.reply.status},
                      {"Text", r.reply.text},
                      {"Delay", r.reply.delay_ms / 1000.0},
                      {"Disconnect", r.reply.disconnect},
                      {"Times", times_json(r.times)}};
}

bool bool_member(const json::object& o, const char* name) {
  const json::value* v = member(o, name);
  if (!v) return false;
  if (!v->is_bool()) throw BadField(std::string(name) + " must be true or false");
  return v->as_bool();
}

std::int64_t int_member(const json::object& o, const char* name, std::int64_t fallback,
                        std::int64_t lo, std::int64_t hi) {
  const json::value* v = member(o, name);
  if (!v) return fallback;
  if (!v->is_int64() && !v->is_uint64())
    throw BadField(std::string(name) + " must be a whole number");
  const std::int64_t n = v->is_int64() ? v->as_int64() : static_cast<std::int64_t>(v->as_uint64());
  if (n < lo || n > hi)
    throw BadField(std::string(name) + " must be from " + std::to_string(lo) + " to " +
                   std::to_string(hi) + ", not " + std::to_string(n));
  return n;
}

// Seconds, as milliseconds (at most an hour).
std::uint32_t delay_member(const json::object& o) {
  const json::value* v = member(o, "Delay");
  if (!v) return 0;
  if (!v->is_number()) throw BadField("Delay must be a number of seconds");
  const double s = v->to_number<double>();
  if (!(s >= 0) || s > 3600) throw BadField("Delay must be seconds from 0 to 3600");
  return static_cast<std::uint32_t>(std::lround(s * 1000));
}

int times_member(const json::object& o) {
  return static_cast<int>(int_member(o, "Times", -1, 1, 1'000'000));
}

// Mailpit's ChaosTrigger {"ErrorCode": 400..599, "Probability": 0..100}.
struct Trigger {
  int code = 451;
  int probability = 0;
};

json::object trigger_json(const Trigger& t) {
  return json::object{{"ErrorCode", t.code}, {"Probability", t.probability}};
}

}  // namespace

void MailApi::Impl::add_rule_routes() {
  auto& R = router;
  auto rules_off = [this] {
    if (!controls.smtp_rules || !controls.imap_rules)
      throw BadField("this server has no reply rules to show");
  };
  R.add("GET", "/api/mailroom/rules", [this, rules_off](Request& r, const PathParams&) {
    server_wide(r, "reply rules");
    rules_off();
    std::string protocol;
    query_param(r.query, "protocol", protocol);
    protocol = lowered(protocol);
    if (!protocol.empty() && protocol != "smtp" && protocol != "imap")
      throw BadField("protocol must be smtp or imap, not '" + protocol + "'");
    json::array list;
    if (protocol != "imap")
      for (const auto& rule : controls.smtp_rules->list()) list.push_back(smtp_rule_json(rule));
    if (protocol != "smtp")
      for (const auto& rule : controls.imap_rules->list()) list.push_back(imap_rule_json(rule));
    return Answer::now(json_response(json::object{{"Rules", std::move(list)}}));
  });
  R.add("POST", "/api/mailroom/rules", [this, rules_off](Request& r, const PathParams&) {
    server_wide(r, "reply rules");
    rules_off();
    json::value body = parse_body(r);
    const auto& o = body.as_object();
    const std::string protocol = lowered(string_member(o, "Protocol", ""));
    try {
      if (protocol == "smtp") {
        ReplyRule rule;
        const bool has_sender = member(o, "Sender") != nullptr;
        const bool has_recipient = member(o, "Recipient") != nullptr;
        if (has_sender) rule.sender = string_member(o, "Sender", "");
        if (has_recipient) rule.recipient = string_member(o, "Recipient", "");
        // As Server.reply(): "rcpt" for a recipient, "mail" for a sender alone, else "data".
        std::string stage = string_member(o, "Stage", "");
        if (stage.empty()) stage = has_recipient ? "rcpt" : has_sender ? "mail" : "data";
        auto named = engine::stage_named(lowered(stage));
        if (!named) throw BadField("Stage must be mail, rcpt, data or auth, not '" + stage + "'");
        rule.stage = *named;
        rule.code = static_cast<int>(int_member(o, "Code", 0, 0, 599));
        rule.text = string_member(o, "Text", "");
        rule.delay_ms = delay_member(o);
        rule.disconnect = bool_member(o, "Disconnect");
        rule.close = bool_member(o, "Close");
        rule.times = times_member(o);
        rule.probability = static_cast<int>(int_member(o, "Probability", 100, 0, 100));
        rule.id = controls.smtp_rules->add(rule);
        return Answer::now(json_response(smtp_rule_json(rule)));
      }
      if (protocol == "imap") {
        ImapReplyRule rule;
        rule.command = string_member(o, "Command", "");
        if (rule.command.empty()) rule.command.assign(1, '*');  // any command
        for (auto& c : rule.command) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        rule.reply.status = string_member(o, "Status", "");
        for (auto& c : rule.reply.status) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        // Checked here so the error names the field as this API spells it.
        if (!rule.reply.status.empty() && rule.reply.status != "NO" && rule.reply.status != "BAD" &&
            rule.reply.status != "BYE")
          throw BadField("Status must be NO, BAD, BYE or \"\" (a delay), not '" +
                         string_member(o, "Status", "") + "'");
        rule.reply.text = string_member(o, "Text", "");
        rule.reply.delay_ms = delay_member(o);
        rule.reply.disconnect = bool_member(o, "Disconnect");
        rule.times = times_member(o);
        rule.id = controls.imap_rules->add(rule);
        return Answer::now(json_response(imap_rule_json(rule)));
      }
    } catch (const std::invalid_argument& e) {
      if (dynamic_cast<const BadField*>(&e)) throw;
      throw BadField(e.what());  // the engine's check of the rule
    }
    throw BadField("Protocol must be smtp or imap, not '" + protocol + "'");
  });
  R.add("DELETE", "/api/mailroom/rules", [this, rules_off](Request& r, const PathParams&) {
    server_wide(r, "reply rules");
    rules_off();
    json::value body = parse_body(r);
    const auto& o = body.as_object();
    const std::string protocol = lowered(string_member(o, "Protocol", ""));
    if (!protocol.empty() && protocol != "smtp" && protocol != "imap")
      throw BadField("Protocol must be smtp or imap, not '" + protocol + "'");
    if (const json::value* id = member(o, "ID")) {
      if (protocol.empty()) throw BadField("Protocol is required with an ID");
      if (!id->is_uint64() && !(id->is_int64() && id->as_int64() >= 0))
        throw BadField("ID must be a rule's ID, a whole number");
      const auto n = id->is_uint64() ? id->as_uint64() : static_cast<std::uint64_t>(id->as_int64());
      const bool gone =
          protocol == "smtp" ? controls.smtp_rules->remove(n) : controls.imap_rules->remove(n);
      if (!gone)
        return Answer::now(error_response(404, "no " + protocol + " rule with the ID " + std::to_string(n)));
      return Answer::now(ok_text());
    }
    if (protocol != "imap") controls.smtp_rules->clear();
    if (protocol != "smtp") controls.imap_rules->clear();
    return Answer::now(ok_text());
  });

  // Mailpit's chaos: Sender at MAIL FROM, Recipient at RCPT TO,
  // Authentication at AUTH, each an error code with a probability; PUT sets
  // all three (one left out is off).
  auto triggers = [this] {
    // Mailpit's defaults, each off: 451 for a sender or recipient, 535
    // (authentication failed, RFC 4954 §6) for AUTH.
    std::map<std::string, Trigger> t{
        {"Sender", {}}, {"Recipient", {}}, {"Authentication", {.code = 535}}};
    for (const auto& rule : controls.smtp_rules->list()) {
      if (!rule.chaos) continue;
      auto& at = t[rule.stage == ReplyRule::Stage::Mail   ? "Sender"
                   : rule.stage == ReplyRule::Stage::Auth ? "Authentication"
                                                          : "Recipient"];
      at.code = rule.code;
      at.probability = rule.probability;
    }
    json::object out;
    for (const auto& [name, trigger] : t) out[name] = trigger_json(trigger);
    return out;
  };
  R.add("GET", "/api/v1/chaos", [rules_off, triggers](Request& r, const PathParams&) {
    server_wide(r, "chaos triggers");
    rules_off();
    return Answer::now(json_response(triggers()));
  });
  R.add("PUT", "/api/v1/chaos", [this, rules_off, triggers](Request& r, const PathParams&) {
    server_wide(r, "chaos triggers");
    rules_off();
    json::value body = parse_body(r);
    const auto& o = body.as_object();
    std::vector<ReplyRule> wanted;
    for (const char* name : {"Sender", "Recipient", "Authentication"}) {
      const json::value* v = member(o, name);
      if (!v) continue;
      if (!v->is_object()) throw BadField(std::string(name) + " must be an object {ErrorCode, Probability}");
      const auto& t = v->as_object();
      const std::string where = std::string(name) + ".";
      Trigger trigger;
      try {
        const int fallback = std::string_view(name) == "Authentication" ? 535 : 451;
        trigger.code = static_cast<int>(int_member(t, "ErrorCode", fallback, 400, 599));
        trigger.probability = static_cast<int>(int_member(t, "Probability", 0, 0, 100));
      } catch (const BadField& e) {
        throw BadField(where + e.what());
      }
      if (trigger.probability == 0) continue;
      ReplyRule rule;
      const std::string_view trigger_name = name;
      rule.stage = trigger_name == "Sender"           ? ReplyRule::Stage::Mail
                   : trigger_name == "Authentication" ? ReplyRule::Stage::Auth
                                                      : ReplyRule::Stage::Rcpt;
      rule.code = trigger.code;
      rule.text = "Chaos: refused on purpose";
      rule.probability = trigger.probability;
      rule.chaos = true;
      wanted.push_back(std::move(rule));
    }
    for (const auto& rule : controls.smtp_rules->list())
      if (rule.chaos) controls.smtp_rules->remove(rule.id);
    for (auto& rule : wanted) controls.smtp_rules->add(std::move(rule));
    return Answer::now(json_response(triggers()));
  });
}

}  // namespace mailroom::http
