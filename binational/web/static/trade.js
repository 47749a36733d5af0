// The trade indicators' chart: a Vega-Lite spec the page carries as JSON data (the policy admits no inline script).
(function () {
  "use strict";
  var source = document.getElementById("trade-chart-spec");
  if (!source || !window.vegaEmbed) { return; }
  // The page's policy: no eval (ast: Vega's interpreter) and no inline style (no default or tooltip style).
  window.vegaEmbed("#trade-chart", JSON.parse(source.textContent),
    { actions: false, renderer: "svg", ast: true, defaultStyle: false, tooltip: false });
}());
