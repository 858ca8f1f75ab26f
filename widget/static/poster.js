/* The poster's "Print" button (inline scripts are blocked by our CSP): shown only where it can work. */
(function () {
  "use strict";
  var button = document.getElementById("print");
  if (!button || typeof window.print !== "function") {
    return;
  }
  button.hidden = false;
  button.addEventListener("click", function () {
    window.print();
  });
})();
