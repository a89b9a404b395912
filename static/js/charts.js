// Draws every server-built plotly figure on the page. The numbers are also in a table beside it.
(function () {
  "use strict";
  // plotly.js fetches a world base map from cdn.plot.ly for every geo chart (the county map), even one
  // whose base map is hidden, and draws nothing when that fails. Tandem loads nothing from elsewhere and
  // the county shapes travel with the figure, so the base map it asks for is an empty one.
  window.PlotlyGeoAssets = window.PlotlyGeoAssets || {topojson: {}};
  window.PlotlyGeoAssets.topojson.world_110m = {type: "Topology", objects: {}, arcs: []};
  function draw() {
    document.querySelectorAll("[data-figure]").forEach(function (element) {
      var source = document.getElementById(element.getAttribute("data-figure"));
      if (!source || typeof Plotly === "undefined") { return; }
      var figure = JSON.parse(source.textContent);
      // Nothing leaves Tandem: no "send to cloud" or "edit in Chart Studio" buttons.
      var config = {
        responsive: true, displaylogo: false, showSendToCloud: false, showEditInChartStudio: false, showLink: false,
        modeBarButtonsToRemove: ["select2d", "lasso2d", "sendDataToCloud"]
      };
      Plotly.newPlot(element, figure.data, figure.layout, config);
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
