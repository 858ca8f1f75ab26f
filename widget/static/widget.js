/* The widget page's only script. It tells the host page its height, posting only to the origin the
   server checked against the site's registered origins, and moves focus to what needs attention. */
(function () {
  "use strict";
  var root = document.documentElement;
  var host = root.getAttribute("data-host-origin");
  var framed = host && window.parent !== window;
  // What the loader turns into an event on the host page ("open", "signed"): words about the widget,
  // never about the visitor.
  var say = function (name) {
    if (framed) window.parent.postMessage({ pledgeEvent: name }, host);
  };
  if (framed) {
    var last = -1;
    var tell = function () {
      var height = Math.ceil(document.body.getBoundingClientRect().height);
      if (height !== last) {
        last = height;
        window.parent.postMessage({ pledgeHeight: height }, host);
      }
    };
    // At once, not only from the observer: a browser does not render an off-screen cross-origin
    // frame (so no observer fires) until the visitor scrolls to it, and the loader takes silence
    // for a widget that failed. Reading the layout here works whether the frame is painted or not.
    // A hidden frame (a closed <details>, a tab not shown) measures 0: that first word goes too (the
    // loader hears that the widget loaded), and the observer tells the height once it is shown.
    tell();
    if (window.ResizeObserver) new ResizeObserver(tell).observe(document.body);
    window.addEventListener("load", tell);
  }
  // Button mode: "Sign" opens the form here, in the same frame (which grows: the observer above tells the
  // host page); "Close" or Escape closes it and gives focus back to "Sign". Without this script, "Sign"
  // is a link to the whole form.
  var opener = document.getElementById("sign-open");
  var panel = document.getElementById("sign-panel");
  var closer = document.getElementById("sign-close");
  var openPanel = function (focusFirstField) {
    panel.hidden = false;
    opener.setAttribute("aria-expanded", "true");
    var first = focusFirstField && panel.querySelector("#signon input:not([type=hidden]):not([tabindex='-1']), #signon select, #signon textarea");
    if (first) first.focus();
  };
  var closePanel = function () {
    panel.hidden = true;
    opener.setAttribute("aria-expanded", "false");
    opener.focus();
  };
  if (opener && panel && closer) {
    document.getElementById("sign-link").hidden = true;
    opener.hidden = false;
    closer.hidden = false;
    opener.addEventListener("click", function () {
      if (panel.hidden) {
        openPanel(true);
        say("open");
      } else closePanel();
    });
    closer.addEventListener("click", closePanel);
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && !panel.hidden && !event.defaultPrevented) closePanel();
    });
  }
  // Back from "check your inbox" to the form: say it was sent, rather than show the filled form as if
  // nothing had happened (the server's redirect after the POST already keeps Back from sending again).
  // The mark lives in this history entry's state: no storage, which browsers refuse to third-party frames.
  var form = document.getElementById("signon");
  // The host page's address and its source codes (utm_source, utm_medium, utm_campaign), which the loader
  // put in this frame's fragment (never sent to the server, so every host page shares one cached copy of
  // this page): the server keeps the address only on a registered origin, and the codes only when short
  // and printable.
  var fragment = window.URLSearchParams ? new URLSearchParams(location.hash.slice(1)) : null;
  if (form && fragment) {
    ["page", "utm_source", "utm_medium", "utm_campaign"].forEach(function (name) {
      var field = form.elements[name];
      if (field && !field.value && fragment.get(name)) field.value = fragment.get(name);
    });
  }
  // "Sign" of the counter and list modes opens the form in a new tab: the fragment goes along to that tab,
  // so its thank-you page still shares the page where they signed (not the campaign's list), and the
  // sign-on keeps its source.
  if (fragment && location.hash.length > 1) {
    var signLinks = document.querySelectorAll(".sign-link a, a#sign-link");
    for (var i = 0; i < signLinks.length; i++) signLinks[i].hash = location.hash;
  }
  if (form) {
    form.addEventListener("submit", function (event) {
      if (!event.submitter || event.submitter.name !== "switch_lang") history.replaceState({ pledgeSent: true }, "");
    });
    window.addEventListener("pageshow", function () {
      var notice = document.getElementById("sent-before");
      if (history.state && history.state.pledgeSent && notice) {
        form.reset();
        if (panel && opener) openPanel(false);
        notice.hidden = false;
        notice.focus();
      }
    });
  }
  // A page served from a cache carries the form token of the moment it was made, shared by everyone who
  // got that copy: when this visitor starts filling the form in, fetch a token of their own, so that the
  // minimum fill time counts from now. Without this script the shared token still works.
  if (form && form.getAttribute("data-token-url") && window.fetch) {
    var fresh = function () {
      form.removeEventListener("input", fresh);
      fetch(form.getAttribute("data-token-url"), { credentials: "omit", cache: "no-store" })
        .then(function (answer) { return answer.ok ? answer.json() : null; })
        .then(function (data) { if (data && data.form_token) form.elements.form_token.value = data.form_token; })
        .catch(function () {});
    };
    form.addEventListener("input", fresh);
  }
  // The count refreshes itself while the page is open: the page again (a 304 when nothing changed, and
  // cached by every proxy on the way), its count swapped in. Every 15 s at first, half as often again
  // after each unchanged answer (at most every 5 minutes), paused while the tab is hidden, stopped after
  // half an hour.
  var count = document.getElementById("count");
  var source = root.getAttribute("data-refresh");
  if (count && source && window.fetch && window.DOMParser) {
    var delay = 15000, timer = 0, failures = 0, until = Date.now() + 1800000;
    var schedule = function () {
      clearTimeout(timer);
      if (!document.hidden && Date.now() < until && failures < 3) timer = setTimeout(poll, delay);
    };
    var poll = function () {
      fetch(source, { credentials: "omit", cache: "no-cache" })
        .then(function (answer) { return answer.ok ? answer.text() : Promise.reject(answer.status); })
        .then(function (html) {
          var now = new DOMParser().parseFromString(html, "text/html").getElementById("count");
          failures = 0;
          if (now && now.innerHTML !== count.innerHTML) {
            count.innerHTML = now.innerHTML;
            delay = 15000;
          } else {
            delay = Math.min(delay * 1.5, 300000);
          }
        })
        .catch(function () { failures += 1; delay = Math.min(delay * 2, 300000); })
        .then(schedule);
    };
    document.addEventListener("visibilitychange", schedule);
    schedule();
  }
  // "Check your inbox": a sign-on was sent. Told once: Reload or Back to this page says nothing again.
  if (document.getElementById("sent") && !(history.state && history.state.pledgeSignedTold)) {
    history.replaceState({ pledgeSignedTold: true }, "");
    say("signed");
  }
  var target = document.querySelector("[aria-invalid=true]") || document.getElementById("error-summary") ||
    document.getElementById("sent");
  if (target) target.focus();
})();
