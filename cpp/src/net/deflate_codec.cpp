// net::StreamCodec over the sans-IO DeflateStream, for a connection that
// switches to compression (IMAP COMPRESS DEFLATE), server or client side.
#include "mailroom/net/deflate_codec.hpp"

#include "mailroom/deflate_stream.hpp"

namespace mailroom::net {

namespace {

class DeflateCodec final : public StreamCodec {
 public:
  void received(std::string_view wire) override { z_.receive(wire); }
  std::size_t decoded(std::string& out, std::size_t max) override {
    return z_.decompress(out, max);
  }
  bool pending() const override { return z_.pending(); }
  void encode(std::string_view data, bool flush, std::string& wire) override {
    z_.compress(data, flush, wire);
  }

 private:
  DeflateStream z_;
};

}  // namespace

std::shared_ptr<StreamCodec> deflate_codec() { return std::make_shared<DeflateCodec>(); }

}  // namespace mailroom::net
