// A StreamCodec over the sans-IO DeflateStream: IMAP's COMPRESS=DEFLATE
// (RFC 4978), for the server's connections and the client's alike.
#pragma once

#include <memory>

#include "mailroom/net/session.hpp"

namespace mailroom::net {

std::shared_ptr<StreamCodec> deflate_codec();

}  // namespace mailroom::net
