// RFC 3461 parameters: xtext, NOTIFY, ORCPT, RET, ENVID.
#include "mailroom/smtp/dsn_parameters.hpp"

#include <stdexcept>

#include "mailroom/text.hpp"

namespace mailroom::smtp {

namespace {

int upper_hex(char c) {  // RFC 3461 §4: hexchar uses upper-case letters only
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_xchar(unsigned char c) { return c >= 33 && c <= 126 && c != '+' && c != '='; }

// atom (RFC 5322 §3.2.3) for addr-type.
bool valid_atom(std::string_view s) {
  if (s.empty()) return false;
  for (unsigned char c : s) {
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alnum && std::string_view("!#$%&'*+-/=?^_`{|}~").find(static_cast<char>(c)) ==
                      std::string_view::npos)
      return false;
  }
  return true;
}

}  // namespace

bool xtext_decode(std::string_view in, std::string& out) {
  out.clear();
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    const auto c = static_cast<unsigned char>(in[i]);
    if (c == '+') {
      if (i + 2 >= in.size()) return false;
      const int hi = upper_hex(in[i + 1]);
      const int lo = upper_hex(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (is_xchar(c)) {
      out.push_back(static_cast<char>(c));
    } else {
      return false;
    }
  }
  return true;
}

std::string xtext_encode(std::string_view in) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(in.size());
  for (unsigned char c : in) {
    if (is_xchar(c)) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('+');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

bool parse_notify(std::string_view value, unsigned& notify) {
  notify = 0;
  if (iequals(value, "NEVER")) {
    notify = kNotifyNever;
    return true;
  }
  // 1#notify-list-element; NEVER may not be combined with the others (§4.1).
  while (true) {
    const std::size_t comma = value.find(',');
    const std::string_view word = value.substr(0, comma);
    unsigned bit = 0;
    if (iequals(word, "SUCCESS")) bit = kNotifySuccess;
    else if (iequals(word, "FAILURE")) bit = kNotifyFailure;
    else if (iequals(word, "DELAY")) bit = kNotifyDelay;
    if (bit == 0 || (notify & bit) != 0) return false;
    notify |= bit;
    if (comma == std::string_view::npos) return true;
    value.remove_prefix(comma + 1);
  }
}

bool parse_orcpt(std::string_view value, RecipientDsn& out) {
  if (value.size() > kMaxOrcptLength) return false;
  const std::size_t semi = value.find(';');
  if (semi == std::string_view::npos) return false;  // ORCPT without a type
  const std::string_view type = value.substr(0, semi);
  std::string address;
  if (!valid_atom(type) || !xtext_decode(value.substr(semi + 1), address) || address.empty())
    return false;
  for (unsigned char c : address)
    if (c < 32 || c == 127) return false;
  out.orcpt_type.assign(type);
  out.orcpt = std::move(address);
  return true;
}

bool parse_ret(std::string_view value, std::string& ret) {
  if (iequals(value, "FULL")) ret = "FULL";
  else if (iequals(value, "HDRS")) ret = "HDRS";
  else return false;
  return true;
}

bool parse_envid(std::string_view value, std::string& envid) {
  // §4.4: printable US-ASCII before encoding; at most 100 characters.
  if (value.empty() || value.size() > kMaxEnvidLength || !xtext_decode(value, envid)) return false;
  for (unsigned char c : envid)
    if (c < 32 || c > 126) return false;
  return true;
}

std::vector<std::string> notify_keywords(unsigned notify) {
  std::vector<std::string> out;
  if (notify & kNotifyNever) out.emplace_back("NEVER");
  if (notify & kNotifySuccess) out.emplace_back("SUCCESS");
  if (notify & kNotifyFailure) out.emplace_back("FAILURE");
  if (notify & kNotifyDelay) out.emplace_back("DELAY");
  return out;
}

std::string notify_text(unsigned notify) {
  std::string out;
  for (const auto& k : notify_keywords(notify)) {
    if (!out.empty()) out.push_back(',');
    out.append(k);
  }
  return out;
}

std::vector<std::string> mail_parameters(const MessageDsn& dsn) {
  std::vector<std::string> out;
  if (!dsn.ret.empty()) out.push_back("RET=" + dsn.ret);
  if (dsn.has_envid) out.push_back("ENVID=" + xtext_encode(dsn.envid));
  return out;
}

std::vector<std::string> rcpt_parameters(const RecipientDsn& dsn) {
  std::vector<std::string> out;
  if (dsn.notify != 0) out.push_back("NOTIFY=" + notify_text(dsn.notify));
  if (!dsn.orcpt_type.empty()) out.push_back("ORCPT=" + dsn.orcpt_type + ";" + xtext_encode(dsn.orcpt));
  return out;
}

void check_sendable(const MessageDsn& d, const std::vector<RecipientDsn>& rcpt_dsn, std::size_t rcpts) {
  std::string scratch;
  if (!d.ret.empty() && !(parse_ret(d.ret, scratch) && scratch == d.ret))
    throw std::invalid_argument("RET must be \"FULL\" or \"HDRS\"");
  if (d.has_envid && !parse_envid(xtext_encode(d.envid), scratch))
    throw std::invalid_argument("ENVID must be printable US-ASCII of at most " +
                                std::to_string(kMaxEnvidLength) + " characters once xtext-encoded");
  if (!rcpt_dsn.empty() && rcpt_dsn.size() != rcpts)
    throw std::invalid_argument("rcpt_dsn must have one entry per recipient");
  for (const RecipientDsn& r : rcpt_dsn) {
    unsigned notify = 0;
    if (r.notify != 0 && !(parse_notify(notify_text(r.notify), notify) && notify == r.notify))
      throw std::invalid_argument("NOTIFY=NEVER cannot be combined with SUCCESS, FAILURE or DELAY");
    if (!r.orcpt_type.empty() || !r.orcpt.empty()) {
      RecipientDsn parsed;
      if (!parse_orcpt(r.orcpt_type + ";" + xtext_encode(r.orcpt), parsed))
        throw std::invalid_argument("ORCPT needs an address type (an atom such as rfc822) and an address "
                                    "without control characters, at most " +
                                    std::to_string(kMaxOrcptLength) + " characters once encoded");
    }
  }
}

bool wants_report(unsigned notify, ReportAction action) {
  if (notify & kNotifyNever) return false;
  switch (action) {
    case ReportAction::Failed: return notify == 0 || (notify & kNotifyFailure) != 0;
    case ReportAction::Delayed: return notify == 0 || (notify & kNotifyDelay) != 0;
    case ReportAction::Delivered:
    case ReportAction::Relayed: return (notify & kNotifySuccess) != 0;
  }
  return false;
}

const char* to_string(ReportAction action) {
  switch (action) {
    case ReportAction::Failed: return "failed";
    case ReportAction::Delayed: return "delayed";
    case ReportAction::Delivered: return "delivered";
    case ReportAction::Relayed: return "relayed";
  }
  return "?";
}

}  // namespace mailroom::smtp
