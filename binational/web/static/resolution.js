// Resolution pages: judge a suggestion with one key press (y, n, u, r).
(function () {
  "use strict";
  var sent = false;
  document.addEventListener("keydown", function (event) {
    var form = document.getElementById("judge-form");
    if (!form || sent || event.ctrlKey || event.metaKey || event.altKey || event.repeat) { return; }
    var target = event.target;
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) { return; }
    var key = (event.key || "").toLowerCase();
    var button = form.querySelector('button[data-key="' + key + '"]:not([disabled])');
    if (!button) { return; }
    event.preventDefault();
    sent = true;
    button.setAttribute("aria-pressed", "true");
    form.requestSubmit(button);
  });

})();
