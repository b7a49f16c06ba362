// The web mail client's static files (python/mailroom/web), served from one
// folder by name: a name is letters, digits, '-' and '_' and one known
// extension, so no request reaches a file outside the folder, whatever it
// spells. Every page comes with a Content-Security-Policy that allows only
// this origin's scripts, styles and connections.
#include <fstream>
#include <sstream>

#include "mail_api_impl.hpp"

namespace mailroom::http {

namespace {

constexpr std::size_t kMaxWebFile = 4 * 1024 * 1024;

const char* content_type_of(std::string_view name) {
  const auto dot = name.rfind('.');
  if (dot == std::string_view::npos) return nullptr;
  const std::string_view ext = name.substr(dot + 1);
  if (ext == "html") return "text/html; charset=utf-8";
  if (ext == "css") return "text/css; charset=utf-8";
  if (ext == "js") return "text/javascript; charset=utf-8";
  if (ext == "svg") return "image/svg+xml";
  if (ext == "png") return "image/png";
  if (ext == "ico") return "image/x-icon";
  return nullptr;
}

bool plain_name(std::string_view name) {
  const auto dot = name.rfind('.');
  if (dot == 0 || dot == std::string_view::npos) return false;
  for (std::size_t i = 0; i < dot; ++i) {
    const char c = name[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '_'))
      return false;
  }
  return true;
}

}  // namespace

Response MailApi::Impl::web_file(const std::string& name) const {
  const char* type = content_type_of(name);
  if (settings.web_root.empty() || !type || !plain_name(name))
    return error_response(404, "no such file: " + name);
  std::ifstream in(settings.web_root + "/" + name, std::ios::binary);
  if (!in) return error_response(404, "no such file: " + name);
  std::ostringstream data;
  data << in.rdbuf();
  if (data.str().size() > kMaxWebFile) return error_response(500, name + " is too large");
  Response r;
  r.header("Content-Type", type);
  r.header("Content-Security-Policy",
           "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
           "connect-src 'self'; frame-src 'self'; base-uri 'none'; form-action 'self'; "
           "frame-ancestors 'none'");
  r.header("X-Content-Type-Options", "nosniff");
  r.header("Cache-Control", "no-cache");
  r.body = data.str();
  return r;
}

void MailApi::Impl::add_web_routes() {
  router.add("GET", "/", [this](Request&, const PathParams&) {
    return Answer::now(web_file("index.html"));
  });
  // The login page (logins.hpp); open to anyone.
  router.add("GET", "/login", [this](Request&, const PathParams&) {
    return Answer::now(web_file("login.html"));
  });
  router.add("GET", "/web/{File}", [this](Request&, const PathParams& p) {
    return Answer::now(web_file(p[0]));
  });
}

}  // namespace mailroom::http
