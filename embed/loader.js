// flask-pledge-widget loader: beside each <a class="pledge-widget" href=".../w/KEY">, the widget's iframe.
// Links the page adds later are framed as they come, and a frame goes with its link.
((d, w) => {
  var base = new URL(d.currentScript.src).origin, frames = [];
  // Tell the host page's own script (its analytics, a tag manager): an event bubbling from the widget's
  // frame, whose detail names the site and the mode, never the visitor.
  var fire = (f, n) => f.dispatchEvent(new CustomEvent("pledge-widget:" + n, {bubbles: 1, detail: f.d}));
  // Put the link back (the browser refused the frame, the widget never said a word after loading, or the
  // frame never loaded), and tell the service why, once per page view, so that the host's dashboard can
  // say what to fix: a beacon to /w/KEY/health with the frame's own query (its origin) and the reason.
  // A frame its page took away is no failure.
  var sent, back = (f, r) => f.ok || !f.isConnected || (f.remove(), f.a.style.display = "", sent = sent || navigator.sendBeacon(f.src.split("#")[0].replace("?", "/health?reason=" + r + "&")));
  var scan = () => {
    d.querySelectorAll("a.pledge-widget").forEach(a => {
      var l = location, u = new URL(a.href, l.href), p = u.searchParams, f = d.createElement("iframe"), hl = d.documentElement.lang, k,
        s = new URLSearchParams({page: l.origin + l.pathname});
      // a.f: framed already (a link given back stays a link).
      if (u.origin != base || a.f) return;
      // Every option of the snippet, as a query parameter: data-mode, data-lang, data-theme, data-accent
      // by their names, data-min-count as "min". Its source codes (data-utm-source as utm_source...) go
      // with the page's address instead, where the page's own utm_* parameters then take their place.
      for (k in a.dataset) k.indexOf("utm") ? p.set(k.replace("Count", ""), a.dataset[k]) : s.set(k.replace("utm", "utm_").toLowerCase(), a.dataset[k]);
      new URLSearchParams(l.search).forEach((v, k) => k.indexOf("utm_") || s.set(k, v));
      hl && p.set("hl", hl);
      p.set("origin", l.origin);
      // The page's address, without query or fragment, and the source codes, in the frame's own fragment:
      // the server never sees them on a GET (one cached widget page serves every page), the widget's form
      // sends them with a sign-on.
      u.hash = s;
      f.src = u;
      f.a = a;
      f.d = {site: u.pathname.split("/").pop(), mode: p.get("mode") || "form"};
      a.f = f;
      f.title = a.textContent;
      // Pixels, not rem: the host page's root font size must not change the widget's size.
      f.style.cssText = "display:block;width:100%;max-width:672px;border:0";
      // The widget says hello as soon as its script runs, hidden or not (a closed <details>, an off-screen
      // frame): only a frame that loaded without a word has failed.
      f.onload = () => setTimeout(back, 3e3, f, "refused");
      setTimeout(back, 3e4, f, "timeout");
      frames.push(f);
      // Beside the link, never in its place: the page's own script (React...) may still own the link.
      a.style.display = "none";
      a.after(f);
      // The height its mode takes (the space the snippet's link reserved, widget.snippet.RESERVED_HEIGHTS):
      // its content then moves the page below by a line or two, not by the whole widget.
      f.style.height = ({button: 121, counter: 212, list: 322}[p.get("mode")] || 1800) + "px";
    });
    // A link its page took away (a React route change) takes its frame along; put back, it is framed again.
    frames = frames.filter(f => f.a.isConnected || f.remove(f.a.f = 0));
  };
  w.addEventListener("message", e => frames.forEach(f => {
    var m = e.data || {}, h = m.pledgeHeight;
    // A hidden widget says 0 until it is shown: alive, its height to come. Its first word is "ready"; then
    // it may say "open" (the button opened the form) and "signed" (a sign-on was sent).
    if (e.origin == base && e.source == f.contentWindow) f.ok || fire(f, "ready"), f.ok = 1, h > 0 && (f.style.height = Math.min(h, 1e4) + "px"), m.pledgeEvent && fire(f, m.pledgeEvent);
  }));
  // The host page's own Content-Security-Policy refused our frame: give the link back at once.
  d.addEventListener("securitypolicyviolation", e => e.blockedURI.indexOf(base) || frames.forEach(f => back(f, "csp")));
  // Links added later, or taken away: no need for the page to tell us (its "pledge-widget:scan" event of
  // earlier versions is no longer needed).
  new MutationObserver(scan).observe(d, {childList: 1, subtree: 1});
  scan();
})(document, window);
