// flask-pledge-widget loader: each <a class="pledge-widget" href=".../w/KEY"> becomes the widget's iframe.
// A page that adds such links later asks for another look with
// document.dispatchEvent(new Event("pledge-widget:scan"))
((d, w) => {
  var base = new URL(d.currentScript.src).origin, frames = [];
  // Put the link back: the browser refused the frame, or the widget never said hello after loading.
  var back = f => f.ok || f.replaceWith(f.a);
  var scan = () => d.querySelectorAll("a.pledge-widget").forEach(a => {
    var l = location, u = new URL(a.href, l.href), p = u.searchParams, f = d.createElement("iframe"), hl = d.documentElement.lang, k;
    // a.f: framed once already (a link given back stays a link).
    if (u.origin != base || a.f) return;
    // Every option of the snippet, as a query parameter: data-mode, data-lang, data-theme, data-accent
    // by their names, data-min-count as "min".
    for (k in a.dataset) p.set(k.replace("Count", ""), a.dataset[k]);
    hl && p.set("hl", hl);
    p.set("origin", l.origin);
    // The page's address, without query or fragment, in the frame's own fragment: the server never sees
    // it on a GET (one cached widget page serves every page), the widget's form sends it with a sign-on.
    u.hash = "page=" + l.origin + l.pathname;
    f.src = u;
    f.a = a;
    a.f = f;
    f.title = a.textContent;
    // Pixels, not rem: the host page's root font size must not change the widget's size.
    f.style.cssText = "display:block;width:100%;max-width:672px;height:640px;border:0";
    // The widget says hello as soon as its script runs, visible or not (off-screen frames are not
    // painted, but their scripts run): only a frame that loaded without a word has failed.
    f.onload = () => setTimeout(back, 3e3, f);
    frames.push(f);
    a.replaceWith(f);
  });
  w.addEventListener("message", e => frames.forEach(f => {
    var h = e.data && e.data.pledgeHeight;
    if (e.origin == base && e.source == f.contentWindow && h > 0) f.ok = 1, f.style.height = Math.min(h, 1e4) + "px";
  }));
  // The host page's own Content-Security-Policy refused our frame: give the link back at once.
  d.addEventListener("securitypolicyviolation", e => e.blockedURI.indexOf(base) || frames.forEach(back));
  d.addEventListener("pledge-widget:scan", scan);
  scan();
})(document, window);
