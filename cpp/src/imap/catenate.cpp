// CATENATE (RFC 4469): an APPEND whose message is put together from TEXT
// literals and IMAP URLs (RFC 5092) of messages, or parts of them, that
// this account can already read. The URL forms taken are the ones CATENATE
// needs (RFC 4469 §5, RFC 5092 §6):
//   imap://[user[;AUTH=*]@]host[:port]/mailbox[;UIDVALIDITY=n]/;UID=n[/;SECTION=s][/;PARTIAL=o[.l]]
//   /mailbox[;UIDVALIDITY=n]/;UID=n[...]     (absolute path)
//   ;UID=n[...]                              (in the selected mailbox)
// with the mailbox %-encoded UTF-8. A URL of another user, one with URLAUTH,
// or one that names no message or part is answered NO [BADURL url]; a
// result past APPENDLIMIT NO [TOOBIG] (RFC 4469 §3, §5).
#include "mailroom/http/message.hpp"  // percent_decode (RFC 3986 §2.1)
#include "mailroom/imap/arguments.hpp"
#include "mailroom/imap/fetch_items.hpp"
#include "mailroom/imap/server_session.hpp"
#include "mailroom/store/folder_name.hpp"
#include "mailroom/text.hpp"

namespace mailroom::imap {

namespace {

constexpr std::size_t kMaxCatParts = 100;  // parts in one CATENATE

// What an IMAP URL names in this account; nullopt when it is not a URL of
// that shape.
struct MessageUrl {
  std::string user;     // "" when not given
  std::string mailbox;  // "" in the selected mailbox
  std::uint32_t uidvalidity = 0;
  std::uint32_t uid = 0;
  std::string section;  // as in BODY[...]
  std::optional<std::pair<std::uint64_t, std::uint64_t>> partial;  // offset, length (0: to the end)
};

bool take_param(std::string_view& v, std::string_view name) {
  if (v.size() < name.size() || !iequals(v.substr(0, name.size()), name)) return false;
  v.remove_prefix(name.size());
  return true;
}

bool take_number(std::string_view& v, std::uint64_t& n) {
  std::size_t k = 0;
  while (k < v.size() && v[k] >= '0' && v[k] <= '9') ++k;
  if (k == 0 || k > 10 || !parse_number(v.substr(0, k), n)) return false;
  v.remove_prefix(k);
  return true;
}

std::optional<MessageUrl> parse_url(std::string_view v) {
  MessageUrl u;
  std::string decoded;
  if (take_param(v, "imap://")) {
    const std::size_t slash = v.find('/');
    if (slash == std::string_view::npos) return std::nullopt;
    std::string_view server = v.substr(0, slash);
    v.remove_prefix(slash);
    if (const std::size_t at = server.rfind('@'); at != std::string_view::npos) {
      std::string_view user = server.substr(0, at);
      const std::size_t semi = user.find(';');
      // ";AUTH=*" names how to log in, not whom; URLAUTH is not offered.
      if (semi != std::string_view::npos && !iequals(user.substr(semi), ";AUTH=*")) return std::nullopt;
      if (!http::percent_decode(user.substr(0, semi), u.user) || u.user.empty()) return std::nullopt;
    }
  }
  if (!v.empty() && v[0] == '/') {
    v.remove_prefix(1);
    const std::size_t end = v.find_first_of(";/");
    if (end == 0 || end == std::string_view::npos) return std::nullopt;
    if (!http::percent_decode(v.substr(0, end), u.mailbox) || u.mailbox.empty()) return std::nullopt;
    if (iequals(u.mailbox, "INBOX")) u.mailbox = "INBOX";
    v.remove_prefix(end);
    std::uint64_t n = 0;
    if (take_param(v, ";UIDVALIDITY=")) {
      if (!take_number(v, n) || n == 0 || n > 0xffffffffu) return std::nullopt;
      u.uidvalidity = static_cast<std::uint32_t>(n);
    }
    if (!take_param(v, "/")) return std::nullopt;
  }
  std::uint64_t n = 0;
  if (!take_param(v, ";UID=") || !take_number(v, n) || n == 0 || n > 0xffffffffu) return std::nullopt;
  u.uid = static_cast<std::uint32_t>(n);
  if (take_param(v, "/;SECTION=")) {
    const std::size_t end = v.find('/');
    if (!http::percent_decode(v.substr(0, end), u.section) || u.section.empty()) return std::nullopt;
    v.remove_prefix(end == std::string_view::npos ? v.size() : end);
  }
  if (take_param(v, "/;PARTIAL=")) {
    std::uint64_t offset = 0, length = 0;
    if (!take_number(v, offset)) return std::nullopt;
    if (take_param(v, ".") && (!take_number(v, length) || length == 0)) return std::nullopt;
    u.partial.emplace(offset, length);
  }
  if (!v.empty()) return std::nullopt;  // ;URLAUTH=, ;EXPIRE= and the rest
  return u;
}

}  // namespace

std::string ServerSession::catenate(Arguments& a, std::string& refusal) {
  // RFC 4469 §5: "CATENATE" SP "(" cat-part *(SP cat-part) ")",
  // cat-part = "TEXT" SP literal / "URL" SP astring.
  a.sp();
  a.expect('(');
  std::string message;
  std::size_t parts = 0;
  auto too_big = [&] {
    refusal = "[TOOBIG] The catenated message is too big";
    return std::string();
  };
  do {
    if (++parts > kMaxCatParts) a.fail("Too many parts in one CATENATE");
    if (a.take_word("TEXT")) {
      a.sp();
      // RFC 4469 §5: text-literal = "TEXT" SP literal (never literal8).
      if (!a.peek('{')) a.fail("TEXT takes a literal");
      bool binary = false;
      const std::string text = a.append_data(binary);
      if (text.find('\0') != std::string::npos) a.fail("NUL in a TEXT literal");
      if (message.size() + text.size() > cfg_.max_literal) return too_big();
      message += text;
    } else if (a.take_word("URL")) {
      a.sp();
      const std::string url = a.astring();
      const std::string bytes = url_part(url, refusal);
      if (!refusal.empty()) return {};
      if (message.size() + bytes.size() > cfg_.max_literal) return too_big();
      message += bytes;
    } else {
      a.fail("Expected TEXT or URL");
    }
  } while (a.try_sp());
  a.expect(')');
  return message;
}

std::string ServerSession::url_part(std::string_view url, std::string& refusal) {
  // The URL as it was given, inside the response code (RFC 4469 §5 and its
  // erratum 4046: a bare URL, every TEXT-CHAR but "]").
  std::string shown;
  for (char c : url.substr(0, 500))
    shown.push_back(c == ']' || static_cast<unsigned char>(c) < 0x20 ? '?' : c);
  auto bad = [&](std::string_view why) {
    refusal = "[BADURL " + shown + "] " + std::string(why);
    return std::string();
  };
  const auto u = parse_url(url);
  if (!u) return bad("Not an IMAP URL of a message in this account");
  if (!u->user.empty() && store::normalize_mailbox(u->user) != account_)
    return bad("The URL names another user");
  std::string folder;
  if (u->mailbox.empty()) {
    if (state_ != State::Selected) return bad("A relative URL needs a selected mailbox");
    folder = folder_;
  } else {
    try {
      folder = store::checked_folder_name(u->mailbox);
    } catch (const store::StoreError&) {
      return bad("No such mailbox");
    }
  }
  std::shared_ptr<const std::string> data;
  std::uint32_t validity = 0;
  try {
    validity = store_.status(account_, folder).uidvalidity;
    const store::MessagePtr m = store_.by_uid(account_, folder, u->uid);
    if (!m) return bad("No such message");
    data = store_.read(*m);
  } catch (const store::StoreError&) {
    return bad("No such message");
  }
  if (u->uidvalidity != 0 && u->uidvalidity != validity)
    return bad("The mailbox has another UIDVALIDITY");
  std::string bytes;
  if (u->section.empty()) {
    bytes = *data;
  } else {
    const std::string spec = "[" + u->section + "]";
    Arguments sa(spec);
    Section section;
    try {
      section = read_section(sa);
      sa.end();
    } catch (const SyntaxError&) {
      return bad("Invalid section");
    }
    std::string key = account_ + '\n' + folder + '\n' + std::to_string(validity) + '\n' +
                      std::to_string(u->uid);
    bytes = section_bytes(*cache_.parsed(key, data), section);
    // RFC 9051 §6.4.5 answers a part that is not there with "": here it
    // names nothing to put in.
    if (bytes.empty()) return bad("No such section");
  }
  if (u->partial) {
    const auto [offset, length] = *u->partial;
    if (offset >= bytes.size()) return bad("The partial range is past the end");
    bytes = bytes.substr(static_cast<std::size_t>(offset),
                         length ? static_cast<std::size_t>(length) : std::string::npos);
  }
  return bytes;
}

}  // namespace mailroom::imap
