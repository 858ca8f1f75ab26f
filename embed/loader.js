/* flask-pledge-widget loader: each <a class="pledge-widget" href=".../w/KEY"> becomes the widget's iframe */
(function(d, w) {
  var base = new URL(d.currentScript.src).origin, hl = d.documentElement.lang;
  d.querySelectorAll("a.pledge-widget").forEach(function(a) {
    var u = new URL(a.href, location.href), f = d.createElement("iframe");
    if (u.origin != base) return;
    if (a.dataset.lang) u.searchParams.set("lang", a.dataset.lang);
    if (hl) u.searchParams.set("hl", hl);
    u.searchParams.set("origin", location.origin);
    f.src = u;
    f.title = a.textContent;
    f.style.cssText = "display:block;width:100%;max-width:42rem;height:40rem;border:0";
    w.addEventListener("message", function(e) {
      var h = e.data && e.data.pledgeHeight;
      if (e.origin == base && e.source == f.contentWindow && h > 0) f.style.height = Math.min(h, 1e4) + "px";
    });
    a.replaceWith(f);
  });
})(document, window);
