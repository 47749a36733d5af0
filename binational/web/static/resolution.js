// Resolution pages: judge a suggestion with one key press (y, n, u, r), and show that a run is going on.
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

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList || !form.classList.contains("run-form")) { return; }
    var status = form.querySelector(".run-progress");
    var started = Date.now();
    var text = form.dataset.running || "";
    var tick = function () {
      status.textContent = text.replace("{seconds}", String(Math.round((Date.now() - started) / 1000)));
    };
    tick();
    window.setInterval(tick, 1000);
    window.setTimeout(function () { form.querySelector("button[type=submit]").disabled = true; }, 0);
  });
})();
