// Draws every chart of the page from the Vega-Lite spec embedded beside it (no fetch: the
// page works from file://). When every chart has settled, <body data-charts-ready> holds
// the number drawn; a chart that fails says so in the page and on the console.
(function () {
  "use strict";
  var figures = Array.prototype.slice.call(document.querySelectorAll("figure.chart"));
  if (figures.length === 0) {
    document.body.setAttribute("data-charts-ready", "0");
    return;
  }
  if (typeof window.vegaEmbed !== "function") {
    console.error("dashboard: the vendored chart library (vega-embed) did not load");
    document.body.setAttribute("data-charts-ready", "0");
    return;
  }
  var drawn = 0;
  var jobs = figures.map(function (figure) {
    var target = figure.querySelector(".vega-target");
    var spec = JSON.parse(figure.querySelector("script.vega-spec").textContent);
    return window.vegaEmbed(target, spec, { actions: false, renderer: "svg" }).then(
      function () {
        drawn += 1;
        figure.setAttribute("data-rendered", "true");
      },
      function (error) {
        figure.setAttribute("data-rendered", "false");
        figure.appendChild(document.createTextNode("This chart could not be drawn: " + error));
        console.error("dashboard: chart " + figure.getAttribute("data-chart") + " failed: " + error);
      });
  });
  Promise.all(jobs).then(function () {
    document.body.setAttribute("data-charts-ready", String(drawn));
  });
})();
