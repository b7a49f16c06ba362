// ServerSession: the SMTP commands (RFC 5321 §4.1.1 and the extensions).
#include <cstdint>

#include "mailroom/smtp/path.hpp"
#include "mailroom/smtp/server_session.hpp"
#include "mailroom/text.hpp"

namespace mailroom::smtp {

void ServerSession::command_line(std::string_view line, std::vector<Output>& out) {
  const bool crlf = !line.empty() && line.back() == '\r';
  if (crlf) line.remove_suffix(1);
  if (auth_step_ != AuthStep::None) {
    log_client(mask_.sasl_response());  // a SASL response carries credentials
    if (!crlf || line.find('\r') != std::string_view::npos) {
      auth_step_ = AuthStep::None;
      return reply(out, 501, "5.5.2", "Error: bad line ending in AUTH response");
    }
    return auth_step(line, out);
  }
  // AUTH's initial response (RFC 4954 §4) and whatever may follow a refused
  // AUTH carry credentials: masked by what the line could be (CredentialMask).
  if (transcript_.enabled()) log_client(mask_.shown(line));
  if (!crlf) {
    // RFC 5321 §2.3.8: lines end with CRLF; a bare LF is not a line ending.
    reply(out, 500, "5.5.2", "Error: bare LF received; command lines must end with CRLF");
    return;
  }
  if (line.find('\r') != std::string_view::npos) {
    reply(out, 500, "5.5.2", "Error: bare CR received");
    return;
  }
  const std::size_t sp = line.find(' ');
  const std::string_view verb = line.substr(0, sp);
  const std::string_view arg = sp == std::string_view::npos ? std::string_view{} : line.substr(sp + 1);

  if (refused_ && !iequals(verb, "QUIT")) {
    reply(out, 503, "5.5.1", "Error: service not available, send QUIT");
    return;
  }
  if (iequals(verb, "EHLO")) return cmd_helo(arg, true, out);
  if (iequals(verb, "HELO")) return cmd_helo(arg, false, out);
  if (iequals(verb, "MAIL")) return cmd_mail(arg, out);
  if (iequals(verb, "RCPT")) return cmd_rcpt(arg, out);
  if (iequals(verb, "DATA")) return cmd_data(arg, out);
  if (iequals(verb, "BDAT")) return cmd_bdat(arg, out);
  if (iequals(verb, "RSET")) return cmd_rset(arg, out);
  if (iequals(verb, "NOOP")) return reply(out, 250, "2.0.0", "Ok");
  if (iequals(verb, "QUIT")) return cmd_quit(arg, out);
  if (iequals(verb, "VRFY")) return cmd_vrfy(arg, out);
  if (iequals(verb, "HELP")) return cmd_help(out);
  if (iequals(verb, "STARTTLS")) return cmd_starttls(arg, out);
  if (iequals(verb, "AUTH")) return cmd_auth(arg, out);
  if (iequals(verb, "EXPN") || iequals(verb, "TURN") || iequals(verb, "ETRN") ||
      iequals(verb, "ATRN") || iequals(verb, "SEND") ||
      iequals(verb, "SOML") || iequals(verb, "SAML"))
    return reply(out, 502, "5.5.1", "Error: command not implemented");
  reply(out, 500, "5.5.2", "Error: command not recognized");
}

void ServerSession::cmd_helo(std::string_view arg, bool esmtp, std::vector<Output>& out) {
  // RFC 2034 §3: no enhanced status code on replies to HELO/EHLO.
  arg = trim(arg);
  if (arg.empty()) {
    emit(out, Reply(501, "", esmtp ? "Syntax: EHLO hostname" : "Syntax: HELO hostname"));
    return;
  }
  // RFC 5321 §4.1.1.1, §4.1.3: a domain or an address literal, which then
  // goes into Received: as it is, so nothing else may pass.
  if (!valid_helo_name(arg)) {
    emit(out, Reply(501, cfg_.enhancedstatuscodes ? "5.5.4" : "",
                    "Error: the argument must be a domain name or an address literal"));
    return;
  }
  reset_transaction();  // RFC 5321 §4.1.4: HELO/EHLO imply RSET
  const Decision d = call_handler([&] { return handler_.on_helo(arg); });
  Reply positive(250, "", cfg_.hostname);
  if (esmtp) {
    if (cfg_.pipelining) positive.lines.emplace_back("PIPELINING");
    if (cfg_.size) positive.lines.emplace_back("SIZE " + std::to_string(cfg_.max_message_size));
    if (cfg_.eightbitmime) positive.lines.emplace_back("8BITMIME");
    if (cfg_.smtputf8) positive.lines.emplace_back("SMTPUTF8");
    if (cfg_.enhancedstatuscodes) positive.lines.emplace_back("ENHANCEDSTATUSCODES");
    if (cfg_.dsn) positive.lines.emplace_back("DSN");
    if (cfg_.chunking) positive.lines.emplace_back("CHUNKING");
    if (cfg_.chunking && cfg_.binarymime) positive.lines.emplace_back("BINARYMIME");
    if (cfg_.starttls && !tls_active_) positive.lines.emplace_back("STARTTLS");
    if (auth_offered()) {
      std::string mechs = "AUTH";
      if (cfg_.auth_plain) mechs += " PLAIN";
      if (cfg_.auth_login) mechs += " LOGIN";
      if (cfg_.auth_cram_md5) mechs += " CRAM-MD5";
      if (mechs.size() > 4) positive.lines.push_back(std::move(mechs));
    }
  }
  Decision dd = d;
  dd.reply.enhanced.clear();
  if (decide(dd, out, std::move(positive), Reply(550, "", "Error: access denied"))) {
    env_.helo.assign(arg);
    env_.esmtp = esmtp;
    greeted_ = true;
  }
}

void ServerSession::cmd_mail(std::string_view arg, std::vector<Output>& out) {
  if (!greeted_) return reply(out, 503, "5.5.1", "Error: send HELO/EHLO first");
  if (tx_ != Tx::None) return reply(out, 503, "5.5.1", "Error: nested MAIL command");
  if (cfg_.require_tls && !tls_active_)
    return reply(out, 530, "5.7.0", "Must issue a STARTTLS command first");
  // RFC 4954 §6: 530 5.7.0 when the server's policy requires authentication.
  if (cfg_.auth_required && env_.auth_user.empty())
    return reply(out, 530, "5.7.0", "Authentication required");
  if (!istarts_with(arg, "FROM:")) return reply(out, 501, "5.5.4", "Syntax: MAIL FROM:<address>");
  PathArgument pa;
  switch (parse_path_argument(arg.substr(5), pa)) {
    case PathSyntax::Ok: break;
    case PathSyntax::NoBrackets: return reply(out, 501, "5.5.4", "Syntax: MAIL FROM:<address>");
    case PathSyntax::BadParams: return reply(out, 501, "5.5.4", "Error: bad parameter syntax");
    case PathSyntax::BadMailbox: return reply(out, 501, "5.1.7", "Error: bad sender address syntax");
  }
  if (!pa.null_path && !pa.has_domain)
    return reply(out, 501, "5.1.7", "Error: bad sender address syntax");
  if (const char* too_long = path_length_error(pa.mailbox))
    return reply(out, 501, "5.1.7", std::string("Error: bad sender address: ") + too_long);
  if (!pa.params.empty() && !env_.esmtp)
    return reply(out, 555, "5.5.4", "Error: MAIL parameters need EHLO");
  bool smtputf8 = false, have_size = false, have_body = false;
  std::uint64_t size = 0;
  std::string body = "7BIT";
  MessageDsn dsn;
  for (const EsmtpParam& p : pa.params) {
    if (p.keyword == "SIZE" && cfg_.size) {
      if (have_size || !parse_number(p.value, size) || p.value.size() > 20)
        return reply(out, 501, "5.5.4", "Error: bad SIZE parameter");
      have_size = true;
    } else if (p.keyword == "BODY" && cfg_.eightbitmime) {
      if (have_body) return reply(out, 501, "5.5.4", "Error: duplicate BODY parameter");
      if (iequals(p.value, "7BIT")) body = "7BIT";
      else if (iequals(p.value, "8BITMIME")) body = "8BITMIME";
      else if (iequals(p.value, "BINARYMIME") && cfg_.chunking && cfg_.binarymime)
        body = "BINARYMIME";
      else return reply(out, 501, "5.5.4", "Error: bad BODY parameter");
      have_body = true;
    } else if (p.keyword == "SMTPUTF8" && cfg_.smtputf8) {
      if (p.has_value || smtputf8)
        return reply(out, 501, "5.5.4", "Error: bad SMTPUTF8 parameter");
      smtputf8 = true;
    } else if (p.keyword == "RET" && cfg_.dsn) {
      // RFC 3461 §4.3; a parameter given twice is a syntax error (§4).
      if (!dsn.ret.empty() || !parse_ret(p.value, dsn.ret))
        return reply(out, 501, "5.5.4", "Error: bad RET parameter");
    } else if (p.keyword == "ENVID" && cfg_.dsn) {
      // RFC 3461 §4.4: xtext of printable US-ASCII, at most 100 characters.
      if (dsn.has_envid || !parse_envid(p.value, dsn.envid))
        return reply(out, 501, "5.5.4", "Error: bad ENVID parameter");
      dsn.has_envid = true;
    } else {
      return reply(out, 555, "5.5.4",
                   "Error: MAIL parameter " + p.keyword + " not recognized or not implemented");
    }
  }
  if (pa.eight_bit) {
    // RFC 6531 §3.7.4.1: a UTF-8 address without SMTPUTF8 gets 553 5.6.7.
    if (!smtputf8)
      return reply(out, 553, "5.6.7", "Error: non-ASCII sender address needs SMTPUTF8");
    if (!valid_utf8(pa.mailbox))
      return reply(out, 553, "5.1.7", "Error: sender address is not valid UTF-8");
  }
  if (size > cfg_.max_message_size)
    return reply(out, 552, "5.3.4", "Error: message size exceeds fixed maximum message size");

  env_.mail_from = pa.mailbox;
  env_.smtputf8 = smtputf8;
  env_.body = body;
  env_.declared_size = static_cast<std::size_t>(size);
  env_.dsn = std::move(dsn);
  const Decision d = call_handler([&] { return handler_.on_mail(env_, pa.mailbox); });
  if (decide(d, out, Reply(250, "2.1.0", "Ok"), Reply(550, "5.7.1", "Error: sender rejected")))
    tx_ = Tx::Mail;
  else
    reset_transaction();
}

void ServerSession::cmd_rcpt(std::string_view arg, std::vector<Output>& out) {
  if (tx_ == Tx::None) return reply(out, 503, "5.5.1", "Error: need MAIL command");
  if (tx_ == Tx::Bdat)
    return reply(out, 503, "5.5.1", "Error: RCPT not allowed during BDAT transfer");
  if (!istarts_with(arg, "TO:")) return reply(out, 501, "5.5.4", "Syntax: RCPT TO:<address>");
  PathArgument pa;
  switch (parse_path_argument(arg.substr(3), pa)) {
    case PathSyntax::Ok: break;
    case PathSyntax::NoBrackets: return reply(out, 501, "5.5.4", "Syntax: RCPT TO:<address>");
    case PathSyntax::BadParams: return reply(out, 501, "5.5.4", "Error: bad parameter syntax");
    case PathSyntax::BadMailbox:
      return reply(out, 501, "5.1.3", "Error: bad recipient address syntax");
  }
  // RFC 5321 §4.5.1: <Postmaster> without a domain must be accepted.
  if (pa.null_path || (!pa.has_domain && !iequals(pa.mailbox, "postmaster")))
    return reply(out, 501, "5.1.3", "Error: bad recipient address syntax");
  // Refused here, not later at DATA for every recipient (RFC 5321 §4.5.3.1).
  if (const char* too_long = path_length_error(pa.mailbox))
    return reply(out, 501, "5.1.3", std::string("Error: bad recipient address: ") + too_long);
  if (!pa.params.empty() && !env_.esmtp)
    return reply(out, 555, "5.5.4", "Error: RCPT parameters need EHLO");
  RecipientDsn dsn;
  for (const EsmtpParam& p : pa.params) {
    if (p.keyword == "NOTIFY" && cfg_.dsn) {
      // RFC 3461 §4.1: NEVER alone or a list of SUCCESS, FAILURE, DELAY.
      if (dsn.notify != 0 || !parse_notify(p.value, dsn.notify))
        return reply(out, 501, "5.5.4", "Error: bad NOTIFY parameter");
    } else if (p.keyword == "ORCPT" && cfg_.dsn) {
      // RFC 3461 §4.2: addr-type ";" xtext, at most 500 characters.
      if (!dsn.orcpt_type.empty() || !parse_orcpt(p.value, dsn))
        return reply(out, 501, "5.5.4", "Error: bad ORCPT parameter");
    } else {
      return reply(out, 555, "5.5.4",
                   "Error: RCPT parameter " + p.keyword + " not recognized or not implemented");
    }
  }
  if (pa.eight_bit) {
    if (!env_.smtputf8)
      return reply(out, 553, "5.6.7", "Error: non-ASCII recipient address needs SMTPUTF8");
    if (!valid_utf8(pa.mailbox))
      return reply(out, 553, "5.1.3", "Error: recipient address is not valid UTF-8");
  }
  if (env_.rcpt_to.size() >= cfg_.max_recipients) {
    // RFC 5321 §4.5.3.1.10: 452 for too many recipients; not a client error.
    emit(out, Reply(452, "4.5.3", "Error: too many recipients"), 0, false, false, false);
    return;
  }
  const Decision d = call_handler([&] { return handler_.on_rcpt(env_, pa.mailbox); });
  if (decide(d, out, Reply(250, "2.1.5", "Ok"), Reply(550, "5.1.1", "Error: recipient rejected"))) {
    env_.rcpt_to.push_back(std::move(pa.mailbox));
    env_.rcpt_dsn.push_back(std::move(dsn));
    tx_ = Tx::Rcpt;
  }
}

void ServerSession::cmd_data(std::string_view arg, std::vector<Output>& out) {
  if (!trim(arg).empty()) return reply(out, 501, "5.5.4", "Syntax: DATA");
  if (tx_ == Tx::Bdat)  // RFC 3030 §2: BDAT and DATA do not mix in one transaction
    return reply(out, 503, "5.5.1", "Error: DATA not allowed during BDAT transfer");
  if (tx_ == Tx::None) return reply(out, 503, "5.5.1", "Error: need MAIL command");
  if (tx_ == Tx::Mail) return reply(out, 554, "5.5.1", "Error: no valid recipients");
  if (env_.body == "BINARYMIME")  // RFC 3030 §3
    return reply(out, 503, "5.5.1", "Error: BODY=BINARYMIME needs BDAT");
  clear_content();
  env_.chunked = false;
  mode_ = Mode::Data;
  emit(out, Reply(354, "", "End data with <CR><LF>.<CR><LF>"));
}

void ServerSession::cmd_bdat(std::string_view arg, std::vector<Output>& out) {
  // BDAT SP chunk-size [SP "LAST"]   (RFC 3030 §2)
  arg = trim(arg);
  const std::size_t sp = arg.find(' ');
  std::uint64_t size = 0;
  bool last = false;
  // A chunk that cannot be read or is larger than any message may be leaves
  // nothing to resynchronize on: its octets would follow as commands, or be
  // read and thrown away for as long as the client cares to send. Close.
  const std::string_view size_text = arg.substr(0, sp);
  if (size_text.empty() || size_text.size() > 20 || !parse_number(size_text, size) ||
      (sp != std::string_view::npos && !(last = iequals(trim(arg.substr(sp + 1)), "LAST"))))
    return close_with(out, Reply(501, "5.5.4", "Syntax: BDAT chunk-size [LAST]; closing"));
  if (size > cfg_.max_message_size)
    return close_with(out, Reply(552, "5.3.4",
                                 "Error: chunk larger than the maximum message size "
                                 "(" + std::to_string(cfg_.max_message_size) + "); closing"));

  // The chunk's octets are read even when the command fails, so that they are
  // never taken for commands.
  chunk_left_ = chunk_size_ = size;
  chunk_last_ = last;
  chunk_discard_ = true;
  if (!cfg_.chunking)
    chunk_error_ = Reply(502, "5.5.1", "Error: command not implemented");
  else if (!greeted_)
    chunk_error_ = Reply(503, "5.5.1", "Error: send HELO/EHLO first");
  else if (tx_ == Tx::None)
    chunk_error_ = Reply(503, "5.5.1", "Error: need MAIL command");
  else if (tx_ == Tx::Mail)
    chunk_error_ = Reply(554, "5.5.1", "Error: no valid recipients");
  else
    chunk_discard_ = false;
  if (!chunk_discard_ && tx_ == Tx::Rcpt) {
    clear_content();
    env_.chunked = true;
    tx_ = Tx::Bdat;
  }
  mode_ = Mode::Chunk;
  if (size == 0) end_of_chunk(out);
}

void ServerSession::cmd_rset(std::string_view arg, std::vector<Output>& out) {
  if (!trim(arg).empty()) return reply(out, 501, "5.5.4", "Syntax: RSET");
  reset_transaction();
  reply(out, 250, "2.0.0", "Ok");
}

void ServerSession::cmd_vrfy(std::string_view arg, std::vector<Output>& out) {
  arg = trim(arg);
  if (arg.empty()) return reply(out, 501, "5.5.4", "Syntax: VRFY address");
  Reply cannot(252, "2.5.0", "Cannot VRFY user, but will accept message and attempt delivery");
  if (!cfg_.vrfy) return emit(out, std::move(cannot));
  const Decision d = call_handler([&] { return handler_.on_vrfy(arg); });
  decide(d, out, std::move(cannot), Reply(550, "5.1.1", "Error: user unknown"));
}

void ServerSession::cmd_help(std::vector<Output>& out) {
  if (!cfg_.help) return reply(out, 502, "5.5.1", "Error: HELP not implemented");
  std::string cmds = "HELO EHLO MAIL RCPT DATA";
  if (cfg_.chunking) cmds += " BDAT";
  cmds += " RSET VRFY NOOP HELP QUIT";
  if (cfg_.starttls && !tls_active_) cmds += " STARTTLS";
  emit(out, Reply(214, "2.0.0", std::vector<std::string>{"Commands supported:", cmds}));
}

void ServerSession::cmd_quit(std::string_view arg, std::vector<Output>& out) {
  if (!trim(arg).empty()) return reply(out, 501, "5.5.4", "Syntax: QUIT");
  close_with(out, Reply(221, "2.0.0", "Bye"));
}

void ServerSession::cmd_starttls(std::string_view arg, std::vector<Output>& out) {
  if (!cfg_.starttls) return reply(out, 502, "5.5.1", "Error: command not implemented");
  if (tls_active_) return reply(out, 503, "5.5.1", "Error: TLS already active");
  if (!trim(arg).empty()) return reply(out, 501, "5.5.4", "Syntax: STARTTLS");
  if (tx_ != Tx::None) return reply(out, 503, "5.5.1", "Error: STARTTLS inside a transaction");
  emit(out, Reply(220, "2.0.0", "Ready to start TLS"), 0, false, true);
  // RFC 3207 §4.2: forget everything learned before TLS. Bytes sent after
  // STARTTLS and before the handshake are plaintext injected by someone
  // (CVE-2011-0411 class): feed() drops them until tls_established().
  tls_active_ = true;
  tls_pending_ = true;
  greeted_ = false;
  reset_transaction();
  env_ = Envelope{};
}

}  // namespace mailroom::smtp
