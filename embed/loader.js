// flask-pledge-widget loader: beside each <a class="pledge-widget" href=".../w/KEY">, the widget's iframe.
// Links the page adds later are framed as they come, and a frame goes with its link.
((d, w) => {
  var base = new URL(d.currentScript.src).origin, frames = [];
  // Put the link back: the browser refused the frame, or the widget never said a word after loading.
  var back = f => f.ok || (f.remove(), f.a.style.display = "");
  var scan = () => {
    d.querySelectorAll("a.pledge-widget").forEach(a => {
      var l = location, u = new URL(a.href, l.href), p = u.searchParams, f = d.createElement("iframe"), hl = d.documentElement.lang, k;
      // a.f: framed already (a link given back stays a link).
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
      f.style.cssText = "display:block;width:100%;max-width:672px;border:0";
      // The widget says hello as soon as its script runs, hidden or not (a closed <details>, an off-screen
      // frame): only a frame that loaded without a word has failed.
      f.onload = () => setTimeout(back, 3e3, f);
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
    var h = e.data && e.data.pledgeHeight;
    // A hidden widget says 0 until it is shown: alive, its height to come.
    if (e.origin == base && e.source == f.contentWindow) f.ok = 1, h > 0 && (f.style.height = Math.min(h, 1e4) + "px");
  }));
  // The host page's own Content-Security-Policy refused our frame: give the link back at once.
  d.addEventListener("securitypolicyviolation", e => e.blockedURI.indexOf(base) || frames.forEach(back));
  // Links added later, or taken away: no need for the page to tell us (its "pledge-widget:scan" event of
  // earlier versions is no longer needed).
  new MutationObserver(scan).observe(d, {childList: 1, subtree: 1});
  scan();
})(document, window);
