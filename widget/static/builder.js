/* The snippet builder's script (the page works without it: "Update" sends the form).
   - The code and the preview follow the options as they change: the page asks itself again with the new
     options and takes over the parts marked data-live (the server alone builds snippets and checks
     colours, so there is one way of doing it).
   - "Copy" puts the snippet on the clipboard and says so in a live region.
   - The preview takes the height of its content, as the loader does on a host page. */
(function () {
  "use strict";
  var form = document.getElementById("builder");
  var preview = document.getElementById("preview");

  window.addEventListener("message", function (event) {
    var height = event.data && event.data.pledgeHeight;
    if (preview && event.origin === location.origin && event.source === preview.contentWindow && height > 0) {
      preview.style.height = Math.min(height, 1e4) + "px";
    }
  });

  // Each snippet's "Copy" button copies its own code and says so in its own live region.
  if (navigator.clipboard) {
    document.querySelectorAll("button[data-copy]").forEach(function (button) {
      var source = document.getElementById(button.getAttribute("data-copy"));
      var said = document.getElementById(button.getAttribute("data-status"));
      if (!source || !said) return;
      button.hidden = false;
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(source.textContent).then(function () {
          said.textContent = button.getAttribute("data-done");
        }, function () {
          said.textContent = button.getAttribute("data-failed");
        });
      });
    });
  }

  if (!form || !window.fetch || !window.DOMParser || !window.URLSearchParams) return;
  var asked = 0;
  var timer = null;
  var LIVE_ATTRIBUTES = ["aria-invalid", "aria-describedby", "title"];

  var refresh = function () {
    var url = form.getAttribute("action") + "?" + new URLSearchParams(new FormData(form)).toString();
    var number = ++asked;
    fetch(url, { credentials: "same-origin" }).then(function (response) {
      return response.ok ? response.text() : Promise.reject(response.status);
    }).then(function (html) {
      if (number !== asked) return; // a later change is on its way: its answer wins
      var fresh = new DOMParser().parseFromString(html, "text/html");
      document.querySelectorAll("[data-live]").forEach(function (element) {
        var next = fresh.getElementById(element.id);
        if (next && next.innerHTML !== element.innerHTML) element.innerHTML = next.innerHTML;
      });
      document.querySelectorAll("[data-live-attrs]").forEach(function (element) {
        var next = fresh.getElementById(element.id);
        if (!next) return;
        LIVE_ATTRIBUTES.forEach(function (name) {
          if (next.hasAttribute(name)) element.setAttribute(name, next.getAttribute(name));
          else element.removeAttribute(name);
        });
        if (element.tagName === "IFRAME" && element.getAttribute("src") !== next.getAttribute("src")) {
          element.setAttribute("src", next.getAttribute("src"));
        } else if (element.parentNode && next.parentNode) {
          element.parentNode.className = next.parentNode.className; // .field.has-error
        }
      });
      document.querySelectorAll("button[data-copy]").forEach(function (button) {
        var said = document.getElementById(button.getAttribute("data-status"));
        if (said) said.textContent = "";
      });
      // Reload, Back and a shared address keep the options.
      history.replaceState(null, "", url);
    }).catch(function () { /* the "Update" button still works */ });
  };
  var soon = function () {
    clearTimeout(timer);
    timer = setTimeout(refresh, 250);
  };
  form.addEventListener("input", soon);
  form.addEventListener("change", soon);
})();
