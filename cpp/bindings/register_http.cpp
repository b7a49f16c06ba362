// HTTP on mailroom._core.server.SmtpServer: the listeners of the REST API and the
// live events (cpp/src/http, cpp/src/engine/http_service.cpp).
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <map>
#include <string>

#include "mailroom/engine/server.hpp"
#include "register.hpp"

namespace py = pybind11;

namespace mailroom::bindings {

void register_http(py::module_& m) {
  using engine::Server;
  auto cls = py::reinterpret_borrow<py::class_<Server>>(m.attr("server").attr("SmtpServer"));
  cls.def(
         "configure_http",
         [](Server& s, int http_port, int https_port, std::string version, std::string web_root,
            bool public_http, std::map<std::string, std::string> tokens) {
           auto& o = s.options_before_start();
           std::erase_if(o.listeners, [](const engine::ListenerOptions& l) {
             return l.protocol == engine::Protocol::Http;
           });
           if (http_port != -1)
             o.listeners.push_back({"http", engine::Protocol::Http, net::TlsMode::None, "", http_port});
           if (https_port != -1)
             o.listeners.push_back(
                 {"https", engine::Protocol::Http, net::TlsMode::Implicit, "", https_port});
           o.product_version = std::move(version);
           o.web_root = std::move(web_root);
           o.public_http = public_http;
           o.http_tokens.clear();
           for (auto& [token, account] : tokens) o.http_tokens.emplace(token, account);
         },
         py::arg("http_port") = -1, py::arg("https_port") = -1, py::arg("version") = "0",
         py::arg("web_root") = "", py::arg("public_http") = false,
         py::arg("tokens") = std::map<std::string, std::string>{})
      .def_property_readonly("http_port", &Server::http_port)
      .def_property_readonly("https_port", &Server::https_port);
}

}  // namespace mailroom::bindings
