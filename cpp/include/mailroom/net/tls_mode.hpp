// How a connection is secured, for listeners and clients alike.
#pragma once

namespace mailroom::net {

// None: plain text only. StartTls: plain text, upgraded when the session
// asks (STARTTLS, RFC 3207; STLS, RFC 2595). Implicit: the handshake first
// (RFC 8314, ports 465, 993, 995). Opportunistic (clients only): STARTTLS
// when offered, without certificate checks (RFC 7435), plain text otherwise,
// what MTAs do between each other.
enum class TlsMode { None, StartTls, Implicit, Opportunistic };

}  // namespace mailroom::net
