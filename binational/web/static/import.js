// Entity import page: send the file with a progress bar, then show the server's answer in place.
// Without this script the form posts as usual and the answer is a whole page.
(function () {
  "use strict";
  var form = document.getElementById("import-form");
  if (!form || !window.XMLHttpRequest || !window.FormData || !window.DOMParser) { return; }
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var panel = form.querySelector(".import-progress");
    var bar = panel.querySelector("progress");
    var note = panel.querySelector("p");
    var button = form.querySelector("button[type=submit]");
    panel.hidden = false;
    button.disabled = true;
    bar.value = 0;
    note.textContent = "";
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) { bar.value = Math.round(100 * e.loaded / e.total); }
    });
    xhr.upload.addEventListener("load", function () {
      bar.value = 100;
      note.textContent = note.dataset.checking || "";  // every line is checked, then all are written
    });
    xhr.addEventListener("loadend", function () {
      button.disabled = false;
      panel.hidden = true;
      var answer = new DOMParser().parseFromString(xhr.responseText || "", "text/html");
      var result = answer.getElementById("import-result");
      if (result) {
        var shown = document.importNode(result, true);
        document.getElementById("import-result").replaceWith(shown);
        if (window.htmx) { window.htmx.process(shown); }  // a large file's import run polls its progress
        if (xhr.status < 300) { form.reset(); }  // 202: a run in the background
      } else {
        note.textContent = String(xhr.status || "");
        panel.hidden = false;
      }
    });
    xhr.send(new FormData(form));
  });
})();
