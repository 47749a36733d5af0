// A commitment's indicator chart: a Vega-Lite spec the page carries as JSON data (the policy admits no inline script).
(function () {
  "use strict";
  var source = document.getElementById("indicator-chart-spec");
  if (!source || !window.vegaEmbed) { return; }
  // As on the home page: no eval (ast: Vega's interpreter) and no inline style.
  window.vegaEmbed("#indicator-chart", JSON.parse(source.textContent),
    { actions: false, renderer: "svg", ast: true, defaultStyle: false, tooltip: false });
}());
