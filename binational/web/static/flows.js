// The flows pages' charts: each Vega-Lite spec is carried by the page as JSON data (the policy admits
// no inline script); a button saves a chart as PNG through the Vega view's own renderer.
(function () {
  "use strict";
  if (!window.vegaEmbed) { return; }
  var views = {};
  document.querySelectorAll(".flows-chart").forEach(function (target) {
    var source = document.getElementById(target.getAttribute("data-spec"));
    if (!source) { return; }
    window.vegaEmbed("#" + target.id, JSON.parse(source.textContent),
      { actions: false, renderer: "svg", ast: true, defaultStyle: false, tooltip: false })
      .then(function (result) { views[target.id] = result.view; target.setAttribute("data-drawn", "true"); });
  });
  document.querySelectorAll(".png-export").forEach(function (button) {
    button.addEventListener("click", function () {
      var view = views[button.getAttribute("data-chart")];
      if (!view) { return; }
      view.toImageURL("png", 2).then(function (url) {
        var link = document.createElement("a");
        link.href = url;
        link.download = button.getAttribute("data-name");
        document.body.appendChild(link);
        link.click();
        link.remove();
      });
    });
  });
}());
