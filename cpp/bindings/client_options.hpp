// What the native clients' bindings share (SMTP, POP3, IMAP): the TLS
// settings checked and converted, seconds as milliseconds, the connection's
// TLS state as properties, and failures raised with attributes.
#pragma once

#include <pybind11/pybind11.h>

#include <cctype>
#include <chrono>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "mailroom/net/client_connection.hpp"
#include "mailroom/net/tls_mode.hpp"

namespace mailroom::bindings {

namespace py = pybind11;

// Raises type(message) with the attributes given: what the failure was, by name.
inline void raise_failure(py::handle type, const std::string& message,
                   std::initializer_list<std::pair<const char*, py::object>> attrs) {
  py::object exc = py::reinterpret_borrow<py::object>(type)(message);
  for (const auto& [name, value] : attrs) exc.attr(name) = value;
  PyErr_SetObject(type.ptr(), exc.ptr());
}

inline std::chrono::milliseconds ms(double seconds) {
  return std::chrono::milliseconds(static_cast<long long>(seconds * 1000.0));
}

inline net::TlsMode parse_tls_mode(const std::optional<std::string>& tls) {
  if (!tls) return net::TlsMode::None;
  if (*tls == "starttls") return net::TlsMode::StartTls;
  if (*tls == "implicit") return net::TlsMode::Implicit;
  throw py::value_error("tls must be None, 'starttls' or 'implicit', not '" + *tls + "'");
}

// A host name, an IP literal or an EHLO domain/address literal: letters,
// digits and ".-:_[]" (RFC 5321 §4.1.3), nothing else.
inline bool host_name_chars(std::string_view name) {
  if (name.empty()) return false;
  constexpr std::string_view punctuation = ".-:_[]";
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && punctuation.find(c) == punctuation.npos)
      return false;
  return true;
}

inline net::TlsClientOptions tls_options(net::TlsMode mode, bool verify, std::optional<std::string> cafile,
                                  std::optional<std::string> ca_pem,
                                  std::optional<std::string> server_hostname) {
  if (mode == net::TlsMode::None && (cafile || ca_pem || !verify || server_hostname))
    throw py::value_error("cafile, verify and server_hostname apply only with tls=");
  net::TlsClientOptions t;
  t.verify = verify;
  t.cafile = cafile.value_or("");
  t.ca_pem = ca_pem.value_or("");
  t.server_name = server_hostname.value_or("");
  if (!verify && (!t.cafile.empty() || !t.ca_pem.empty()))
    throw py::value_error("verify=False with a cafile: the CAs would not be used");
  if (server_hostname && !host_name_chars(t.server_name))
    throw py::value_error("bad server_hostname: '" + t.server_name + "'");
  return t;
}

// The connection's TLS state, the same for both clients.
template <class Client>
inline void def_tls_properties(py::class_<Client>& c) {
  c.def_property_readonly("tls_active", [](const Client& x) { return x.connection().tls_active(); })
      .def_property_readonly("tls_version", [](const Client& x) { return x.connection().tls_version(); })
      .def_property_readonly("tls_cipher", [](const Client& x) { return x.connection().tls_cipher(); })
      .def_property_readonly("peer_certificate", [](const Client& x) {
        return py::bytes(x.connection().peer_certificate_der());
      });
}

}  // namespace mailroom::bindings
