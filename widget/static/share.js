/* The thank-you page's "Share" button: the device's own share sheet (the Web Share API), shown only where
   the browser has one. The plain links beside it work everywhere, with or without this script. */
(function () {
  "use strict";
  var button = document.getElementById("share-native");
  if (!button || !navigator.share) return;
  var data = {
    title: button.getAttribute("data-title"),
    text: button.getAttribute("data-text"),
    url: button.getAttribute("data-url")
  };
  if (navigator.canShare && !navigator.canShare(data)) return;
  button.hidden = false;
  button.addEventListener("click", function () {
    // The visitor may close the share sheet: a refusal, not an error to show.
    navigator.share(data).catch(function () {});
  });
})();
