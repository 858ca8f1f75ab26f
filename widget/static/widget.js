/* The widget page's only script. It tells the host page its height, posting only to the origin the
   server checked against the site's registered origins, and moves focus to what needs attention. */
(function () {
  "use strict";
  var root = document.documentElement;
  var host = root.getAttribute("data-host-origin");
  if (host && window.parent !== window && window.ResizeObserver) {
    var last = 0;
    new ResizeObserver(function () {
      var height = Math.ceil(document.body.getBoundingClientRect().height);
      if (height !== last) {
        last = height;
        window.parent.postMessage({ pledgeHeight: height }, host);
      }
    }).observe(document.body);
  }
  var target = document.querySelector("[aria-invalid=true]") || document.getElementById("error-summary") ||
    document.getElementById("sent");
  if (target) target.focus();
})();
