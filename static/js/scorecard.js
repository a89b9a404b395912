// The public scorecard: a print button, and charts laid out again for the printed page's width.
(function () {
  "use strict";
  var button = document.getElementById("print-scorecard");
  if (button) { button.addEventListener("click", function () { window.print(); }); }
  function resize() {
    if (!window.Plotly) { return; }
    document.querySelectorAll(".tandem-chart").forEach(function (chart) {
      if (chart.data) { window.Plotly.Plots.resize(chart); }
    });
  }
  window.addEventListener("beforeprint", resize);
  window.addEventListener("afterprint", resize);
})();
