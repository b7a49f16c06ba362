// "ip:port" / "[v6]:port" for logs, envelopes and error messages.
#pragma once

#include <boost/asio/ip/tcp.hpp>

#include <string>

namespace mailroom::net {

inline std::string endpoint_text(const boost::asio::ip::tcp::endpoint& ep) {
  auto addr = ep.address();
  if (addr.is_v6()) return "[" + addr.to_string() + "]:" + std::to_string(ep.port());
  return addr.to_string() + ":" + std::to_string(ep.port());
}

}  // namespace mailroom::net
