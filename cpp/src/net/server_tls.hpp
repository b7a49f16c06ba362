// The definition of net::ServerTls, for the translation units that make and
// use TLS streams.
#pragma once

#include <boost/asio/ssl/context.hpp>

#include "mailroom/net/network.hpp"

namespace mailroom::net {

class ServerTls {
 public:
  ServerTls() : context(boost::asio::ssl::context::tls_server) {}
  boost::asio::ssl::context context;
};

}  // namespace mailroom::net
