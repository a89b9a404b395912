// Draws every server-built plotly figure on the page. The numbers are also in a table beside it.
(function () {
  "use strict";
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
