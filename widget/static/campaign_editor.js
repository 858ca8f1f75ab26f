/* The campaign editor's live preview: the form is sent to the preview address, into the frame below it,
   when the page opens and a moment after each change. Each preview loads into a new frame that replaces
   the old one once loaded: no flash, and no entry in the browser's history per keystroke (a removed frame
   takes its history with it). Without this script, the "Preview" button does the same on demand. */
(function () {
  "use strict";
  var form = document.getElementById("campaign");
  var button = document.getElementById("preview-button");
  var frame = document.getElementById("preview");
  if (!form || !button || !frame || !form.requestSubmit) return;
  var count = 0, timer = 0;
  var refresh = function () {
    var next = document.createElement("iframe");
    count += 1;
    next.name = "preview-" + count;
    next.className = frame.className;
    next.title = frame.title;
    next.hidden = true;
    frame.after(next);
    next.addEventListener("load", function () {
      if (next.name !== "preview-" + count) {  // a newer preview is on its way: this one is stale already
        next.remove();
        return;
      }
      frame.remove();
      next.hidden = false;
      next.id = "preview";
      frame = next;
    }, { once: true });
    button.formTarget = next.name;
    form.requestSubmit(button);
  };
  var later = function () {
    clearTimeout(timer);
    timer = setTimeout(refresh, 600);
  };
  form.addEventListener("input", later);
  form.addEventListener("change", later);
  button.addEventListener("click", function (event) {
    event.preventDefault();
    clearTimeout(timer);
    refresh();
  });
  refresh();
})();
