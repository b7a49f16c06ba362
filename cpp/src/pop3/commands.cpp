// ServerSession: the POP3 commands (RFC 1939 §4-7, RFC 2449 CAPA, RFC 5034
// AUTH, RFC 2595 STLS).
#include <exception>
#include <stdexcept>

#include "mailroom/mime/codecs.hpp"
#include "mailroom/pop3/byte_stuffing.hpp"
#include "mailroom/pop3/server_session.hpp"
#include "mailroom/sasl.hpp"
#include "mailroom/text.hpp"

namespace mailroom::pop3 {

namespace {

// RFC 1939 §7: a unique-id is 1..70 characters in 0x21..0x7E.
void append_uid(std::string& w, std::string_view uid) {
  if (uid.empty()) {
    w.push_back('?');
    return;
  }
  for (char c : uid.substr(0, 70)) w.push_back(c >= 0x21 && c <= 0x7e ? c : '?');
}

std::string maildrop_text(std::size_t count, std::uint64_t octets) {
  return "maildrop has " + std::to_string(count) + " message" + (count == 1 ? "" : "s") +
         " (" + std::to_string(octets) + " octets)";
}

bool is_hex(std::string_view s) {
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
      return false;
  return true;
}

}  // namespace

void ServerSession::command(std::string_view line, std::vector<Output>& out) {
  const std::size_t sp = line.find(' ');
  const std::string_view verb = line.substr(0, sp);
  const std::string_view raw_arg =
      sp == std::string_view::npos ? std::string_view{} : line.substr(sp + 1);
  const std::string_view arg = trim(raw_arg);

  // Secrets never reach the transcript (see CredentialMask).
  if (transcript_.enabled()) transcript_.add("C: ", mask_.shown(line));

  if (iequals(verb, "CAPA")) return cmd_capa(out);
  if (iequals(verb, "QUIT")) return cmd_quit(out);
  const bool auth_command = iequals(verb, "USER") || iequals(verb, "PASS") ||
                            iequals(verb, "APOP") || iequals(verb, "AUTH") ||
                            iequals(verb, "STLS");
  const bool tx_command = iequals(verb, "STAT") || iequals(verb, "LIST") ||
                          iequals(verb, "RETR") || iequals(verb, "DELE") ||
                          iequals(verb, "NOOP") || iequals(verb, "RSET") ||
                          iequals(verb, "TOP") || iequals(verb, "UIDL");
  if (state_ == State::Authorization) {
    if (tx_command) return err(out, "", "Command not valid in AUTHORIZATION state");
    if (iequals(verb, "USER")) return cmd_user(arg, out);
    if (iequals(verb, "PASS")) return cmd_pass(raw_arg, out);
    if (iequals(verb, "APOP")) return cmd_apop(arg, out);
    if (iequals(verb, "AUTH")) return cmd_auth(arg, out);
    if (iequals(verb, "STLS")) return cmd_stls(arg, out);
  } else {
    if (auth_command) return err(out, "", "Command not valid in TRANSACTION state");
    if (iequals(verb, "STAT")) return cmd_stat(arg, out);
    if (iequals(verb, "LIST")) return cmd_list(arg, false, out);
    if (iequals(verb, "UIDL")) return cmd_list(arg, true, out);
    if (iequals(verb, "RETR")) return cmd_retr(arg, out);
    if (iequals(verb, "TOP")) return cmd_top(arg, out);
    if (iequals(verb, "DELE")) return cmd_dele(arg, out);
    if (iequals(verb, "RSET")) return cmd_rset(arg, out);
    if (iequals(verb, "NOOP")) return ok(out, "");
  }
  err(out, "", "Unknown command");
}

void ServerSession::cmd_capa(std::vector<Output>& out) {
  Output o;
  o.bytes = "+OK Capability list follows\r\n";
  o.bytes += "TOP\r\nUIDL\r\n";
  // RFC 2595 §4: logins refused outside TLS are not advertised there.
  const bool logins = cfg_.plaintext_auth || tls_active_;
  if (cfg_.user_pass && logins) o.bytes += "USER\r\n";
  if (cfg_.auth_plain && logins) o.bytes += "SASL PLAIN\r\n";
  o.bytes += "RESP-CODES\r\nAUTH-RESP-CODE\r\nPIPELINING\r\n";
  if (!cfg_.expire.empty()) {
    o.bytes += "EXPIRE ";
    append_reply_text(o.bytes, cfg_.expire);
    o.bytes += "\r\n";
  }
  if (!cfg_.implementation.empty()) {
    o.bytes += "IMPLEMENTATION ";
    append_reply_text(o.bytes, cfg_.implementation);
    o.bytes += "\r\n";
  }
  if (cfg_.stls && !tls_active_) o.bytes += "STLS\r\n";
  o.bytes += ".\r\n";
  emit(out, std::move(o));
}

// ------------------------------------------------------- AUTHORIZATION ----

bool ServerSession::login_allowed(std::vector<Output>& out) {
  if (!cfg_.plaintext_auth && !tls_active_) {
    err(out, "AUTH", "Plaintext authentication disallowed on non-secure connections");
    return false;
  }
  return true;
}

void ServerSession::cmd_user(std::string_view arg, std::vector<Output>& out) {
  if (!cfg_.user_pass) return err(out, "", "USER/PASS not available");
  if (arg.empty()) return err(out, "", "Syntax: USER name");
  if (!login_allowed(out)) return;
  user_.assign(arg);
  have_user_ = true;
  ok(out, "Send PASS");  // the same for every name: no user enumeration
}

void ServerSession::cmd_pass(std::string_view arg, std::vector<Output>& out) {
  if (!cfg_.user_pass) return err(out, "", "USER/PASS not available");
  if (!have_user_) return err(out, "", "Send USER first");
  have_user_ = false;
  if (!login_allowed(out)) return;
  // RFC 1939 §7: PASS has one argument, so spaces in it are part of the password.
  const std::string user = user_;
  finish_login(user, [&] { return handler_.login(user, arg); }, out);
}

void ServerSession::cmd_apop(std::string_view arg, std::vector<Output>& out) {
  if (!cfg_.apop || apop_timestamp_.empty()) return err(out, "", "APOP not available");
  const std::size_t sp = arg.rfind(' ');
  if (sp == std::string_view::npos) return err(out, "", "Syntax: APOP name digest");
  const std::string_view name = trim(arg.substr(0, sp));
  std::string digest(arg.substr(sp + 1));
  if (name.empty() || digest.size() != 32 || !is_hex(digest))
    return err(out, "", "Syntax: APOP name digest");
  for (char& c : digest)
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c + 32);
  if (!login_allowed(out)) return;
  have_user_ = false;
  finish_login(name, [&] { return handler_.apop(name, digest, apop_timestamp_); }, out);
}

void ServerSession::cmd_auth(std::string_view arg, std::vector<Output>& out) {
  if (arg.empty()) {
    // RFC 1734 clients probe with a bare AUTH: list the mechanisms.
    Output o;
    const bool plain = cfg_.auth_plain && (cfg_.plaintext_auth || tls_active_);
    o.bytes = plain ? "+OK\r\nPLAIN\r\n.\r\n" : "+OK\r\n.\r\n";
    return emit(out, std::move(o));
  }
  const std::size_t sp = arg.find(' ');
  const std::string_view mech = arg.substr(0, sp);
  if (!cfg_.auth_plain || !iequals(mech, "PLAIN"))
    return err(out, "", "Unsupported authentication mechanism");
  if (!login_allowed(out)) return;
  have_user_ = false;
  if (sp != std::string_view::npos) {
    const std::string_view initial = trim(arg.substr(sp + 1));
    return auth_plain(initial, out);  // RFC 5034 §4: "=" is an empty one
  }
  auth_pending_ = true;
  Output o;
  o.bytes = "+ \r\n";  // PLAIN has an empty challenge
  emit(out, std::move(o));
}

void ServerSession::auth_response(std::string_view line, std::vector<Output>& out) {
  if (line == "*") return err(out, "", "Authentication cancelled");
  auth_plain(line, out);
}

// RFC 4616 §2: base64(authzid NUL authcid NUL passwd); the decoded octets
// are wiped when `plain` goes.
void ServerSession::auth_plain(std::string_view base64, std::vector<Output>& out) {
  const PlainResponse plain(base64);
  if (plain.error() == PlainResponse::Error::Base64) return err(out, "", "Invalid base64 data");
  if (plain.error() != PlainResponse::Error::None) return err(out, "", "Invalid PLAIN response");
  finish_login(plain.identity(),
               [&] { return handler_.login_as(plain.authzid(), plain.authcid(), plain.password()); },
               out);
}

void ServerSession::cmd_stls(std::string_view arg, std::vector<Output>& out) {
  if (!cfg_.stls) return err(out, "", "STLS not available");
  if (tls_active_) return err(out, "", "TLS already active");
  if (!arg.empty()) return err(out, "", "Syntax: STLS");
  // RFC 2595 §4: forget what came before the handshake.
  have_user_ = false;
  user_.clear();
  tls_pending_ = true;
  Output o;
  o.bytes = "+OK Begin TLS negotiation\r\n";
  o.start_tls = true;
  emit(out, std::move(o));
}

template <class F>
void ServerSession::finish_login(std::string_view user, F&& call, std::vector<Output>& out) {
  AuthResult r;
  try {
    r = call();
    if (r.kind == AuthResult::Ok) {
      if (!r.maildrop) throw std::runtime_error("login without a maildrop");
      entries_ = &r.maildrop->entries();
    }
  } catch (...) {
    entries_ = nullptr;
    r = AuthResult::temp_fail();
  }
  if (r.kind == AuthResult::Pending) {  // answered by resume_login()
    login_user_.assign(user);
    paused_ = true;
    return;
  }
  const auto text = [&](std::string_view fallback) {
    return r.message.empty() ? fallback : std::string_view(r.message);
  };
  switch (r.kind) {
    case AuthResult::Ok: {
      maildrop_ = std::move(r.maildrop);
      state_ = State::Transaction;
      user_.assign(user);
      deleted_.assign(entries_->size(), false);
      live_count_ = entries_->size();
      live_octets_ = 0;
      for (const MaildropEntry& e : *entries_) live_octets_ += e.size;
      const std::string fallback = "Logged in, " + maildrop_text(live_count_, live_octets_);
      return ok(out, text(fallback));
    }
    case AuthResult::BadCredentials: {
      user_.clear();
      ++auth_failures_;
      const bool last = cfg_.max_auth_failures > 0 && auth_failures_ >= cfg_.max_auth_failures;
      std::string msg(text("Authentication failed"));
      if (last) msg += "; too many failures, closing connection";
      return err(out, "AUTH", msg, cfg_.auth_failure_delay_ms, last, false);
    }
    case AuthResult::InUse:
      user_.clear();
      return err(out, "IN-USE", text("Maildrop is locked by another session"));
    case AuthResult::TempFail:
      user_.clear();
      return err(out, "SYS/TEMP", text("Temporary failure, try again later"));
    case AuthResult::PermFail:
      user_.clear();
      return err(out, "SYS/PERM", text("Login not permitted"));
    case AuthResult::Pending: break;  // handled above
  }
}

void ServerSession::resume_login(AuthResult result, std::vector<Output>& out) {
  if (!paused_) return;
  paused_ = false;
  if (result.kind == AuthResult::Pending) result = AuthResult::temp_fail();
  std::string user;
  user.swap(login_user_);
  finish_login(user, [&] { return std::move(result); }, out);
  if (held_.empty()) return;
  std::string held;
  held.swap(held_);
  feed(held, out);  // may pause again, holding the rest anew
}

// --------------------------------------------------------- TRANSACTION ----

bool ServerSession::message_arg(std::string_view arg, std::size_t& index,
                                std::vector<Output>& out) {
  std::uint64_t n = 0;
  if (!parse_number(arg, n)) {
    err(out, "", "Syntax: message number expected");
    return false;
  }
  if (n == 0 || n > entries_->size()) {
    err(out, "", "No such message");
    return false;
  }
  index = static_cast<std::size_t>(n - 1);
  if (deleted_[index]) {
    err(out, "", "Message " + std::to_string(n) + " already deleted");
    return false;
  }
  return true;
}

std::shared_ptr<const std::string> ServerSession::message_content(std::size_t index,
                                                                 std::vector<Output>& out) {
  std::shared_ptr<const std::string> content;
  try {
    content = maildrop_->content(index);
  } catch (...) {
    content = nullptr;
  }
  if (!content) err(out, "SYS/TEMP", "Message unavailable");
  return content;
}

void ServerSession::cmd_stat(std::string_view arg, std::vector<Output>& out) {
  if (!arg.empty()) return err(out, "", "Syntax: STAT");
  ok(out, std::to_string(live_count_) + " " + std::to_string(live_octets_));
}

void ServerSession::cmd_list(std::string_view arg, bool uidl, std::vector<Output>& out) {
  const std::vector<MaildropEntry>& entries = *entries_;
  if (!arg.empty()) {
    std::size_t k = 0;
    if (!message_arg(arg, k, out)) return;
    Output o;
    o.bytes = "+OK " + std::to_string(k + 1) + " ";
    if (uidl) append_uid(o.bytes, entries[k].uid);
    else o.bytes += std::to_string(entries[k].size);
    o.bytes += "\r\n";
    return emit(out, std::move(o));
  }
  Output o;
  o.bytes.reserve(32 + live_count_ * (uidl ? 32 : 16));
  o.bytes = uidl ? "+OK\r\n" : "+OK " + maildrop_text(live_count_, live_octets_) + "\r\n";
  for (std::size_t k = 0; k < entries.size(); ++k) {
    if (deleted_[k]) continue;
    o.bytes += std::to_string(k + 1);
    o.bytes.push_back(' ');
    if (uidl) append_uid(o.bytes, entries[k].uid);
    else o.bytes += std::to_string(entries[k].size);
    o.bytes += "\r\n";
  }
  o.bytes += ".\r\n";
  emit(out, std::move(o));
}

void ServerSession::cmd_retr(std::string_view arg, std::vector<Output>& out) {
  std::size_t k = 0;
  if (!message_arg(arg, k, out)) return;
  const std::shared_ptr<const std::string> content = message_content(k, out);
  if (!content) return;
  send_message(k, "+OK " + std::to_string((*entries_)[k].size) + " octets", *content,
               content, out);
}

void ServerSession::cmd_top(std::string_view arg, std::vector<Output>& out) {
  const std::size_t sp = arg.find(' ');
  std::uint64_t lines = 0;
  if (sp == std::string_view::npos || !parse_number(trim(arg.substr(sp + 1)), lines))
    return err(out, "", "Syntax: TOP message lines");
  std::size_t k = 0;
  if (!message_arg(arg.substr(0, sp), k, out)) return;
  const std::shared_ptr<const std::string> content = message_content(k, out);
  if (!content) return;
  send_message(k, "+OK", message_top(*content, lines), content, out);
}

// `part` is all of `*whole` (RETR) or a prefix of it (TOP).
void ServerSession::send_message(std::size_t index, std::string_view status,
                                 std::string_view part,
                                 const std::shared_ptr<const std::string>& whole,
                                 std::vector<Output>& out) {
  Output o;
  const std::size_t stuffed = stuffed_size(part);
  if (stuffed == part.size() && part.size() == whole->size()) {
    o.bytes.reserve(status.size() + 2);
    o.bytes.append(status);
    o.bytes += "\r\n";
    o.body = whole;  // sent as it is: no copy
    o.tail = ".\r\n";
  } else {
    o.bytes.reserve(status.size() + 2 + stuffed + 3);
    o.bytes.append(status);
    o.bytes += "\r\n";
    append_stuffed(o.bytes, part);
    o.bytes += ".\r\n";
  }
  if (transcript_.enabled()) {
    transcript_.add("S: ", status);
    transcript_.add("S: ", "<message " + std::to_string(index + 1) + ": " +
                                std::to_string(part.size()) + " octets>");
    transcript_.add("S: ", ".");
  }
  emit(out, std::move(o), true, false);
}

void ServerSession::cmd_dele(std::string_view arg, std::vector<Output>& out) {
  std::size_t k = 0;
  if (!message_arg(arg, k, out)) return;
  deleted_[k] = true;
  --live_count_;
  live_octets_ -= (*entries_)[k].size;
  ok(out, "Message " + std::to_string(k + 1) + " deleted");
}

void ServerSession::cmd_rset(std::string_view arg, std::vector<Output>& out) {
  if (!arg.empty()) return err(out, "", "Syntax: RSET");
  deleted_.assign(entries_->size(), false);
  live_count_ = entries_->size();
  live_octets_ = 0;
  for (const MaildropEntry& e : *entries_) live_octets_ += e.size;
  ok(out, maildrop_text(live_count_, live_octets_));
}

// --------------------------------------------------------------- UPDATE ----

void ServerSession::cmd_quit(std::vector<Output>& out) {
  if (state_ != State::Transaction) {
    Output o;
    o.bytes = "+OK ";
    append_reply_text(o.bytes, cfg_.hostname);
    o.bytes += " POP3 server signing off\r\n";
    o.close_after = true;
    return emit(out, std::move(o));
  }
  std::vector<std::size_t> deleted;
  deleted.reserve(entries_->size() - live_count_);
  for (std::size_t k = 0; k < deleted_.size(); ++k)
    if (deleted_[k]) deleted.push_back(k);
  const std::size_t left = live_count_;
  try {
    maildrop_->commit(deleted);
  } catch (...) {
    return err(out, "SYS/TEMP", "Some deleted messages not removed", 0, true, false);
  }
  Output o;
  o.bytes = "+OK ";
  append_reply_text(o.bytes, cfg_.hostname);
  o.bytes += " POP3 server signing off (";
  o.bytes += left == 0   ? std::string("maildrop empty")
             : left == 1 ? std::string("1 message left")
                         : std::to_string(left) + " messages left";
  o.bytes += ")\r\n";
  o.close_after = true;
  emit(out, std::move(o));
}

}  // namespace mailroom::pop3
