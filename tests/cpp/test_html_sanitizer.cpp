// The HTML sanitizer on hostile samples, byte for byte: what is kept is
// written anew, what could run or load is gone, and a second pass changes
// nothing.
#include <string>
#include <string_view>

#include "conversation.hpp"
#include "mailroom/mime/html.hpp"

using namespace mailroom::mime;

namespace {

std::string clean(std::string_view html, bool remote = false) {
  SanitizeOptions o;
  o.allow_remote = remote;
  const SanitizedHtml once = sanitize_html(html, o);
  CHECK_EQ(sanitize_html(once.html, o).html, once.html);  // a fixed point
  return once.html;
}

bool has(const std::string& s, std::string_view what) {
  std::string low;
  for (char c : s) low.push_back(c >= 'A' && c <= 'Z' ? char(c + 32) : c);
  return low.find(what) != std::string::npos;
}

}  // namespace

TEST(kept_markup_is_rewritten_well_formed) {
  CHECK_EQ(clean("<P CLASS=note>Hi <B>there</b>"), std::string("<p class=\"note\">Hi <b>there</b></p>"));
  CHECK_EQ(clean("<div><span>a</div>b</span>"), std::string("<div><span>a</span></div>b"));
  CHECK_EQ(clean("a &amp; b &lt; c & d < e > f &eacute;"),
           std::string("a &amp; b &lt; c &amp; d &lt; e &gt; f &eacute;"));
  CHECK_EQ(clean("<img src=\"cid:logo@x\" alt='The \"logo\"'>"),
           std::string("<img src=\"cid:logo@x\" alt=\"The &quot;logo&quot;\">"));
  CHECK_EQ(clean("<html><head><title>T</title></head><body>x</body></html>"), std::string("x"));
}

TEST(script_and_its_content_go) {
  CHECK_EQ(clean("a<script>alert(1)</script>b"), std::string("ab"));
  CHECK_EQ(clean("a<SCRIPT type=text/javascript>if (a</b) x()</SCRIPT >b"), std::string("ab"));
  CHECK_EQ(clean("a<script>never closed <b>bold</b>"), std::string("a"));
  CHECK_EQ(clean("<scr<script>ipt>alert(1)</script>"), std::string("ipt&gt;alert(1)"));
  CHECK(!has(clean("<<script>script>alert(1)<</script>/script>"), "<script"));
  const SanitizedHtml r = sanitize_html("<script>x</script><p>y</p>");
  CHECK_EQ(r.removed_elements, std::size_t{1});
}

TEST(event_handlers_go) {
  CHECK_EQ(clean("<img src=cid:a onerror=alert(1) ONLOAD='x()'>"), std::string("<img src=\"cid:a\">"));
  CHECK_EQ(clean("<p onclick=\"x()\"/onmouseover=y()>t</p>"), std::string("<p>t</p>"));
  CHECK_EQ(clean("<body onload=alert(1)>x"), std::string("x"));
  const SanitizedHtml r = sanitize_html("<b onclick=x onblur=y>b</b>");
  CHECK_EQ(r.removed_attributes, std::size_t{2});
}

TEST(javascript_urls_with_entities_and_white_space_go) {
  for (std::string_view href :
       {"javascript:alert(1)", "JaVaScRiPt:alert(1)", " javascript:alert(1)",
        "jav&#x09;ascript:alert(1)", "jav&#9;ascript:alert(1)", "&#106;avascript:alert(1)",
        "&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;alert(1)",
        "javascript&colon;alert(1)", "java\nscript:alert(1)", "vbscript:msgbox(1)",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==", "&#0000106avascript:x"}) {
    const std::string out = clean("<a href=\"" + std::string(href) + "\">x</a>");
    CHECK_EQ(out, std::string("<a>x</a>"));
  }
  CHECK_EQ(clean("<a href='https://example.org/?a=1&amp;b=2'>x</a>"),
           std::string("<a href=\"https://example.org/?a=1&amp;b=2\" target=\"_blank\" "
                       "rel=\"noopener noreferrer\">x</a>"));
  CHECK_EQ(clean("<a href=mailto:bob@b.example>m</a>"),
           std::string("<a href=\"mailto:bob@b.example\" target=\"_blank\" "
                       "rel=\"noopener noreferrer\">m</a>"));
  CHECK_EQ(clean("<a href=#top>t</a><a href=/api/v1/messages>r</a>"),
           std::string("<a href=\"#top\" target=\"_blank\" rel=\"noopener noreferrer\">t</a><a>r</a>"));
  CHECK_EQ(clean("<img title=\"javascript:x\" src=cid:a>"), std::string("<img src=\"cid:a\">"));
}

TEST(svg_and_math_go_with_their_content) {
  CHECK_EQ(clean("a<svg><script>alert(1)</script><a xlink:href=javascript:x>t</a></svg>b"),
           std::string("ab"));
  CHECK_EQ(clean("a<svg onload=\"alert(1)\"/>b"), std::string("ab"));
  CHECK_EQ(clean("a<svg onload=alert(1)/>b"), std::string("a"));  // "alert(1)/" is the value
  CHECK_EQ(clean("a<svg><svg></svg><style></svg><img src=x onerror=alert(1)>"), std::string("a"));
  CHECK_EQ(clean("a<math><mi xlink:href=javascript:x>y</mi></math>b"), std::string("ab"));
}

TEST(meta_base_link_forms_frames_objects_go) {
  CHECK_EQ(clean("<meta http-equiv=refresh content='0;url=https://evil.example/'>x"), std::string("x"));
  CHECK_EQ(clean("<base href=https://evil.example/><link rel=stylesheet href=//evil/x.css>x"),
           std::string("x"));
  CHECK_EQ(clean("<form action=https://evil.example/><input name=p type=password>"
                 "<button>Go</button><textarea>t</textarea><select><option>o</select></form>x"),
           std::string("x"));
  CHECK_EQ(clean("<iframe src=https://evil.example/>inner</iframe>x"), std::string("x"));
  CHECK_EQ(clean("<object data=x.swf><param name=a value=b><embed src=x.swf></object>x"),
           std::string("x"));
  CHECK_EQ(clean("<frameset><frame src=x></frameset>x"), std::string("x"));
}

TEST(remote_images_are_blocked_and_counted) {
  const SanitizedHtml r = sanitize_html(
      "<img src=//evil.example/t.gif><img src=https://evil.example/a.png alt=a>"
      "<table background=http://evil.example/b.png><tr><td>x</td></tr></table>");
  CHECK_EQ(r.remote_blocked, std::size_t{3});
  CHECK_EQ(r.html, std::string("<img><img alt=\"a\"><table><tr><td>x</td></tr></table>"));
  CHECK_EQ(clean("<img src=https://example.org/a.png>", true),
           std::string("<img src=\"https://example.org/a.png\">"));
  CHECK_EQ(clean("<img src=\"data:image/png;base64,iVBORw0KGgo=\">"),
           std::string("<img src=\"data:image/png;base64,iVBORw0KGgo=\">"));
  CHECK_EQ(clean("<img src=\"data:text/html,x\"><img src=/local.png><img src=\\\\evil\\x>"),
           std::string("<img><img><img>"));
}

TEST(cid_references_are_rewritten) {
  SanitizeOptions o;
  o.cid_url = [](std::string_view id) {
    return id == "logo@x" ? std::string("/api/v1/message/M/part/2") : std::string();
  };
  const SanitizedHtml r =
      sanitize_html("<img src=cid:logo@x><img src=cid:gone@x>"
                    "<div style=\"background: url('cid:logo@x')\">x</div>", o);
  CHECK_EQ(r.html, std::string("<img src=\"/api/v1/message/M/part/2\"><img>"
                               "<div style=\"background: url(&quot;/api/v1/message/M/part/2&quot;)\">"
                               "x</div>"));
}

TEST(css_that_loads_or_runs_goes) {
  CHECK_EQ(clean("<p style=\"color: red; background: url(https://evil.example/t.gif)\">x</p>"),
           std::string("<p style=\"color: red; background: none\">x</p>"));
  CHECK_EQ(clean("<p style=\"width: expression(alert(1)); color: blue\">x</p>"),
           std::string("<p style=\"color: blue\">x</p>"));
  CHECK_EQ(clean("<p style=\"background:u\\72l(//evil/t.gif)\">x</p>"),
           std::string("<p style=\"background:none\">x</p>"));
  CHECK_EQ(clean("<p style=\"x: ex/**/pression(alert(1))\">x</p>"), std::string("<p>x</p>"));
  CHECK_EQ(clean("<p style=\"behavior: url(x.htc); -moz-binding: url(x.xml#b)\">x</p>"),
           std::string("<p>x</p>"));
  CHECK_EQ(clean("<p style=\"background-image: image-set('https://evil/a.png' 1x)\">x</p>"),
           std::string("<p>x</p>"));
  const SanitizedHtml sheet = sanitize_html(
      "<style>@import url(https://evil.example/x.css); body { color: red }"
      " .a { background: url(http://evil.example/b.png) }</style>");
  CHECK_EQ(sheet.html, std::string("<style> body { color: red } .a { background: none }</style>"));
  CHECK_EQ(sheet.remote_blocked, std::size_t{2});
  CHECK_EQ(clean("<style>@import url(https://example.org/x.css); p { color: red }</style>", true),
           std::string("<style>@import url(https://example.org/x.css); p { color: red }</style>"));
  CHECK_EQ(clean("<style>p { x: expression(alert(1)) }</style>x"), std::string("<style></style>x"));
  CHECK_EQ(clean("<style>p { } </style><script>x</script></style>y"),
           std::string("<style>p { } </style>y"));
  CHECK_EQ(clean("<style>\\3c/style>\\3cscript>x</style>"), std::string("<style></style>"));
  CHECK_EQ(clean("<p style='background:url(\"https://example.org/a.png\")'>x</p>", true),
           std::string("<p style=\"background:url(&quot;https://example.org/a.png&quot;)\">x</p>"));
}

TEST(comments_cdata_and_bogus_markup) {
  CHECK_EQ(clean("a<!-- <script>alert(1)</script> -->b"), std::string("ab"));
  CHECK_EQ(clean("a<!--->b<!-->c<!-- x --!>d"), std::string("abcd"));
  CHECK_EQ(clean("a<![CDATA[<script>alert(1)</script>]]>b"), std::string("ab"));
  CHECK_EQ(clean("<!DOCTYPE html>a<?xml version=1?>b</ x>c</3>d"), std::string("abcd"));
  CHECK_EQ(clean("a<!-- never closed <script>"), std::string("a"));
  CHECK_EQ(clean("a<b"), std::string("a"));  // a tag the input ends inside
  CHECK_EQ(clean("a < b <3 c"), std::string("a &lt; b &lt;3 c"));
}

TEST(deep_nesting_is_bounded) {
  std::string deep;
  for (int i = 0; i < 5000; ++i) deep += "<div>";
  deep += "x";
  const std::string out = clean(deep);
  std::size_t opened = 0;
  for (std::size_t at = 0; (at = out.find("<div>", at)) != std::string::npos; ++at) ++opened;
  CHECK_EQ(opened, std::size_t{256});
  CHECK(out.find('x') != std::string::npos);
}

TEST(invalid_utf8_and_nul) {
  CHECK_EQ(clean(std::string("a\xff\0b", 4)), std::string("a\xEF\xBF\xBD\xEF\xBF\xBD" "b"));
}

int main(int argc, char** argv) { return run_registered_tests(argc, argv); }
