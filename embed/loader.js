/* flask-pledge-widget loader: each <a class="pledge-widget" href=".../w/KEY"> becomes the widget's iframe */
(function(d, w) {
  var base = new URL(d.currentScript.src).origin, hl = d.documentElement.lang;
  d.querySelectorAll("a.pledge-widget").forEach(function(a) {
    var u = new URL(a.href, location.href), p = u.searchParams, f = d.createElement("iframe"), t;
    if (u.origin != base) return;
    a.dataset.lang && p.set("lang", a.dataset.lang);
    a.dataset.theme && p.set("theme", a.dataset.theme);
    hl && p.set("hl", hl);
    p.set("origin", location.origin);
    f.src = u;
    f.title = a.textContent;
    f.style.cssText = "display:block;width:100%;max-width:42rem;height:40rem;border:0";
    // No word from the widget (origin not registered, very old browser): give the visitor the link back.
    t = setTimeout(function() { f.replaceWith(a); }, 15e3);
    w.addEventListener("message", function(e) {
      var h = e.data && e.data.pledgeHeight;
      if (e.origin == base && e.source == f.contentWindow && h > 0) clearTimeout(t), f.style.height = Math.min(h, 1e4) + "px";
    });
    a.replaceWith(f);
  });
})(document, window);
