// Server: accounts for AUTH and POP3 logins.
#include <arpa/inet.h>
#include <openssl/rand.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>

#include "mailroom/engine/server.hpp"
#include "mailroom/sasl.hpp"
#include "mailroom/text.hpp"

namespace mailroom::engine {

bool Server::check_password(std::string_view user, std::string_view password) const {
  const auto& users = options_.users;
  if (users) {
    auto it = users->find(store::normalize_mailbox(user));
    if (it == users->end()) {
      // Compare anyway, so a missing account takes as long as a wrong password.
      (void)same_secret(password, password);
      return false;
    }
    return same_secret(password, it->second);
  }
  if (options_.password_check) return options_.password_check(std::string(user), std::string(password));
  return true;  // test mode: loopback only, checked at start
}

bool Server::check_cram_md5(std::string_view user, std::string_view challenge,
                            std::string_view digest) const {
  if (!options_.users) return test_mode_accounts();
  auto it = options_.users->find(store::normalize_mailbox(user));
  const std::string want = cram_md5_digest(challenge, it == options_.users->end() ? "" : it->second);
  std::string got(digest);
  for (char& c : got)
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c + 32);
  return same_secret(got, want) && it != options_.users->end() && !want.empty();
}

std::string Server::new_challenge() const {
  unsigned char r[8];
  if (RAND_bytes(r, sizeof r) != 1) throw std::runtime_error("no random bytes for a challenge");
  std::uint64_t n = 0;
  for (unsigned char c : r) n = (n << 8) | c;
  const auto t = std::chrono::duration_cast<std::chrono::seconds>(
                     std::chrono::system_clock::now().time_since_epoch()).count();
  std::string challenge = "<";
  challenge.append(std::to_string(n)).append(".").append(std::to_string(t));
  challenge.append("@").append(options_.smtp.hostname).append(">");
  return challenge;
}


namespace {

bool is_loopback_ip(const std::string& ip) {
  unsigned char a[16];
  if (inet_pton(AF_INET, ip.c_str(), a) == 1) return a[0] == 127;
  if (inet_pton(AF_INET6, ip.c_str(), a) == 1) {
    static const unsigned char loopback6[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    return std::equal(a, a + 16, loopback6) || (std::equal(a, a + 12, mapped) && a[12] == 127);
  }
  return false;
}

}  // namespace

bool Server::loopback_peer(const std::string& peer) {
  return is_loopback_ip(std::string(peer_address(peer)));
}

bool Server::plaintext_auth_allowed(const std::string& peer) const {
  if (options_.allow_plaintext_auth) return *options_.allow_plaintext_auth;
  if (options_.tls) return false;
  // Clear text only between processes of this host.
  return loopback_peer(peer);
}

}  // namespace mailroom::engine
