// The repatriation statistics' charts: Vega-Lite specs the page carries as JSON data (no inline script).
(function () {
  "use strict";
  var source = document.getElementById("repatriation-charts");
  if (!source || !window.vegaEmbed) { return; }
  var charts = JSON.parse(source.textContent);
  Object.keys(charts).forEach(function (name) {
    window.vegaEmbed("#chart-" + name, charts[name],
      { actions: false, renderer: "svg", ast: true, defaultStyle: false, tooltip: false });
  });
}());
