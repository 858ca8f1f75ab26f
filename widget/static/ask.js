/* Asking an organisation to sign (inline scripts are blocked by our CSP; the page works without this):
   - "Copy" buttons put the e-mail's subject or message on the clipboard and say so in a live region;
   - the name and organisation typed in the sender form fill the letter's blanks and sign the e-mail, in
     this browser only (nothing typed there leaves it; this tab keeps them while the page reloads, as it
     does when an organisation is added to the list);
   - "Print" buttons print the letter, or the resolution alone. */
(function () {
  "use strict";
  var status = document.getElementById("copy-status");
  var copiers = document.querySelectorAll("button[data-copy]");
  if (navigator.clipboard && status) {
    Array.prototype.forEach.call(copiers, function (button) {
      var source = document.getElementById(button.getAttribute("data-copy"));
      if (!source) return;
      button.hidden = false;
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(source.textContent).then(function () {
          status.textContent = status.getAttribute("data-done");
        }, function () {
          status.textContent = status.getAttribute("data-failed");
        });
      });
    });
  }

  var sender = document.getElementById("sender");
  var name = document.getElementById("sender_name");
  var organisation = document.getElementById("sender_org");
  var mailto = document.getElementById("mailto");
  var signature = document.getElementById("draft-signature");
  if (sender && name && organisation) {
    var base = mailto ? mailto.getAttribute("href") : "";
    var max = mailto ? parseInt(mailto.getAttribute("data-max"), 10) || 1800 : 0;
    var fill = function () {
      var values = {sender_name: name.value.trim(), sender_org: organisation.value.trim()};
      Array.prototype.forEach.call(document.querySelectorAll("[data-fill]"), function (blank) {
        if (!blank.hasAttribute("data-blank")) blank.setAttribute("data-blank", blank.textContent);
        blank.textContent = values[blank.getAttribute("data-fill")] || blank.getAttribute("data-blank");
      });
      var lines = [values.sender_name, values.sender_org].filter(Boolean).join("\n");
      var added = lines ? "\n\n" + lines : "";
      if (signature) signature.textContent = added;
      if (mailto) {
        // The message is the link's last field: the signature extends it (RFC 6068 line breaks), when it fits.
        var longer = base + encodeURIComponent(added.replace(/\n/g, "\r\n"));
        mailto.setAttribute("href", longer.length <= max ? longer : base);
      }
    };
    var KEY = "pledge-ask-sender";
    var remember = function () {
      try {
        window.sessionStorage.setItem(KEY, JSON.stringify([name.value, organisation.value]));
      } catch (error) { /* storage refused (private mode, a policy): the blanks stay blanks after a reload */ }
    };
    try {
      var kept = JSON.parse(window.sessionStorage.getItem(KEY) || "null");
      if (kept && !name.value && !organisation.value) {
        name.value = String(kept[0] || "").slice(0, name.maxLength);
        organisation.value = String(kept[1] || "").slice(0, organisation.maxLength);
      }
    } catch (error) { /* nothing kept */ }
    sender.hidden = false;
    sender.addEventListener("submit", function (event) { event.preventDefault(); });
    [name, organisation].forEach(function (input) {
      input.addEventListener("input", fill);
      input.addEventListener("input", remember);
    });
    fill();
  }

  var printing = function (id, mode) {
    var button = document.getElementById(id);
    if (!button || typeof window.print !== "function") return;
    button.hidden = false;
    button.addEventListener("click", function () {
      document.body.classList.toggle("print-resolution", mode === "resolution");
      window.print();
    });
  };
  printing("print-letter", "letter");
  printing("print-resolution", "resolution");
  window.addEventListener("afterprint", function () {
    document.body.classList.remove("print-resolution");
  });
})();
