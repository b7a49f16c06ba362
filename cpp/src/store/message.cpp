#include "mailroom/store/message.hpp"

#include <atomic>
#include <cstdio>
#include <ctime>

#include "mailroom/store/flags.hpp"
#include "mailroom/store/folder_state.hpp"
#include "mailroom/text.hpp"

namespace mailroom::store {

static_assert(sizeof(Message) <= 104, "a record of the store's metadata grew");

const std::string& Message::account() const {
  static const std::string none;
  return home ? home->account : none;
}

std::vector<std::string> Message::keywords() const {
  std::vector<std::string> out;
  if (!keyword_bits || !home) return out;
  for (std::size_t i = 0; i < home->keywords.size() && i < kMaxKeywordBits; ++i)
    if (keyword_bits & (1u << i)) out.push_back(home->keywords[i]);
  normalize_keywords(out);
  return out;
}

std::string Message::path() const {
  if (!home || file.empty() || home->dir.empty()) return std::string();
  std::string out;
  out.reserve(home->dir.size() + 1 + file.view().size());
  return out.append(home->dir).append(1, '/').append(file.view());
}

std::uint32_t keyword_bits_of(const std::vector<std::string>& table,
                              const std::vector<std::string>& keywords) {
  std::uint32_t bits = 0;
  for (const auto& k : keywords)
    for (std::size_t i = 0; i < table.size() && i < kMaxKeywordBits; ++i)
      if (iequals(table[i], k)) {
        bits |= 1u << i;
        break;
      }
  return bits;
}

std::string normalize_mailbox(std::string_view address) {
  std::string out(address);
  auto at = out.rfind('@');
  if (at == std::string::npos) return out;
  for (std::size_t i = at + 1; i < out.size(); ++i) {
    char c = out[i];
    if (c >= 'A' && c <= 'Z') out[i] = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string pop3_uidl(std::uint32_t uidvalidity, std::uint32_t uid) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%08X%08X", uidvalidity, uid);
  return buf;
}

std::shared_ptr<const Envelope> envelope_from_headers(std::string_view data,
                                                      const std::string& account,
                                                      std::int64_t internal_date) {
  auto env = std::make_shared<Envelope>();
  env->rcpt_to.push_back(account);
  env->received_at = static_cast<double>(internal_date);
  // The envelope sender survives in the Return-Path we wrote (RFC 5321 §4.4).
  if (data.rfind("Return-Path:", 0) == 0) {
    auto lt = data.find('<'), gt = data.find('>'), eol = data.find('\n');
    if (lt != std::string_view::npos && gt != std::string_view::npos && gt > lt && gt < eol)
      env->mail_from = std::string(data.substr(lt + 1, gt - lt - 1));
  }
  return env;
}

std::uint32_t fresh_uidvalidity() {
  static std::atomic<std::uint32_t> last{0};
  const auto now = static_cast<std::uint32_t>(std::time(nullptr));
  std::uint32_t prev = last.load();
  std::uint32_t next;
  do {
    next = now > prev ? now : prev + 1;
  } while (!last.compare_exchange_weak(prev, next));
  return next;
}

}  // namespace mailroom::store
