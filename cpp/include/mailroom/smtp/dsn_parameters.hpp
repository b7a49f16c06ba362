// The SMTP parameters of delivery status notifications (RFC 3461): RET and
// ENVID on MAIL, NOTIFY and ORCPT on RCPT, and the xtext encoding their values
// travel in. Pure functions, shared by the server and the client sessions, the
// queue and the spool.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mailroom::smtp {

// NOTIFY= keywords as bits (RFC 3461 §4.1); 0 means no NOTIFY was given.
enum Notify : unsigned {
  kNotifyNever = 1,
  kNotifySuccess = 2,
  kNotifyFailure = 4,
  kNotifyDelay = 8,
};

// RFC 3461 §4.4: the ENVID value is at most 100 characters; §4.2: ORCPT at most 500.
constexpr std::size_t kMaxEnvidLength = 100;
constexpr std::size_t kMaxOrcptLength = 500;

// What MAIL asked for (RFC 3461 §4.3, §4.4).
struct MessageDsn {
  std::string ret;    // "FULL", "HDRS", or "" when not given
  std::string envid;  // decoded from xtext; "" when not given
  bool has_envid = false;
  bool empty() const { return ret.empty() && !has_envid; }
};

// What one RCPT asked for (RFC 3461 §4.1, §4.2).
struct RecipientDsn {
  unsigned notify = 0;      // Notify bits; 0: not given
  std::string orcpt_type;   // addr-type as sent ("rfc822"); "" when no ORCPT
  std::string orcpt;        // the original address, decoded from xtext
  bool empty() const { return notify == 0 && orcpt_type.empty(); }
};

// xtext (RFC 3461 §4): "!".."~" except "+" and "=" stand for themselves, any
// octet may be "+" and two upper-case hex digits. False on anything else.
bool xtext_decode(std::string_view in, std::string& out);
std::string xtext_encode(std::string_view in);

// Values of the parameters, as they follow "KEYWORD=". False: bad syntax
// (RFC 3461 §4: 501 5.5.4).
//  NOTIFY: "NEVER" alone, or a comma list of SUCCESS, FAILURE, DELAY, each once
//          (case-insensitive).
//  ORCPT:  addr-type ";" xtext, at most kMaxOrcptLength octets; the decoded
//          address may not hold control characters.
//  RET:    "FULL" or "HDRS" (case-insensitive; kept upper-cased).
//  ENVID:  xtext, at most kMaxEnvidLength octets, decoding to printable US-ASCII.
bool parse_notify(std::string_view value, unsigned& notify);
bool parse_orcpt(std::string_view value, RecipientDsn& out);
bool parse_ret(std::string_view value, std::string& ret);
bool parse_envid(std::string_view value, std::string& envid);

// Before a client sends them: the values must be ones a server takes, each
// encoded and parsed back as the server parses it; `rcpt_dsn` is empty or has
// one entry per recipient. Throws std::invalid_argument saying what is wrong.
void check_sendable(const MessageDsn& dsn, const std::vector<RecipientDsn>& rcpt_dsn,
                    std::size_t rcpts);

// "SUCCESS,DELAY", "NEVER"; "" for 0. Keywords in the order SUCCESS, FAILURE, DELAY.
std::string notify_text(unsigned notify);
std::vector<std::string> notify_keywords(unsigned notify);

// The parameters as sent on the wire: {"RET=HDRS", "ENVID=a+2Bb"} and
// {"NOTIFY=SUCCESS,DELAY", "ORCPT=rfc822;bob@b.example"}; none when empty.
std::vector<std::string> mail_parameters(const MessageDsn& dsn);
std::vector<std::string> rcpt_parameters(const RecipientDsn& dsn);

// Whether a recipient that asked `notify` wants a report with this action
// (RFC 3461 §4.1): "failed" unless NOTIFY is given without FAILURE; "delayed"
// unless NOTIFY is given without DELAY (no NOTIFY: FAILURE,DELAY, the usual
// default); "delivered" and "relayed" only with SUCCESS.
enum class ReportAction { Failed, Delayed, Delivered, Relayed };
bool wants_report(unsigned notify, ReportAction action);
const char* to_string(ReportAction action);

}  // namespace mailroom::smtp
