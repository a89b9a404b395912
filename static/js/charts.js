// Draws every server-built plotly figure on the page. The numbers are also in a table beside it.
(function () {
  "use strict";
  // plotly.js fetches a world base map from cdn.plot.ly for every geo chart (the county map), even one
  // whose base map is hidden, and draws nothing when that fails. Tandem loads nothing from elsewhere and
  // the county shapes travel with the figure, so the base map it asks for is an empty one.
  window.PlotlyGeoAssets = window.PlotlyGeoAssets || {topojson: {}};
  window.PlotlyGeoAssets.topojson.world_110m = {type: "Topology", objects: {}, arcs: []};

  // Below this width (a phone, up to USWDS's tablet breakpoint) a chart is laid out for a narrow screen:
  // no toolbar over the legend, the legend below the plot, long labels and titles wrapped, not cut off.
  var NARROW = 640;
  var CHAR_WIDTH = 7; // about one character of a 12 px label, in pixels

  function copy(value) { return JSON.parse(JSON.stringify(value)); }

  // Break text at spaces into lines of at most `width` characters (plotly wraps nothing itself).
  function wrap(text, width) {
    if (typeof text !== "string" || text.length <= width || text.indexOf("<br") !== -1) { return text; }
    var lines = [];
    var line = "";
    text.split(" ").forEach(function (word) {
      if (line && (line + " " + word).length > width) { lines.push(line); line = word; } else { line = line ? line + " " + word : word; }
    });
    if (line) { lines.push(line); }
    return lines.join("<br>");
  }

  function wrapTitle(owner, width) {
    if (!owner || !owner.title) { return; }
    if (typeof owner.title === "string") { owner.title = {text: owner.title}; }
    owner.title.text = wrap(owner.title.text, width);
  }

  // The layout key of a trace's axis: "y" -> "yaxis", "y2" -> "yaxis2".
  function axisKey(reference, letter) { return letter + "axis" + (reference || letter).slice(1); }

  function narrowFigure(figure, width) {
    var data = copy(figure.data);
    var layout = copy(figure.layout);
    var line = Math.max(14, Math.floor(width / CHAR_WIDTH) - 6);
    var label = Math.max(12, Math.floor(width * 0.35 / CHAR_WIDTH));
    layout.font = Object.assign({}, layout.font, {size: 12});
    var margin = layout.margin || {};
    layout.margin = Object.assign({}, margin, {l: Math.min(margin.l || 40, 40), r: Math.min(margin.r || 10, 10)});
    Object.keys(layout).forEach(function (key) {
      if (/^[xy]axis\d*$/.test(key)) {
        layout[key].automargin = true;
        wrapTitle(layout[key], line);
      }
    });
    // Horizontal bars carry names on the y axis: wrap them, so they neither push the bars away nor run
    // off the left edge.
    data.forEach(function (trace) {
      if (trace.orientation !== "h") { return; }
      var axis = layout[axisKey(trace.yaxis, "y")] = layout[axisKey(trace.yaxis, "y")] || {};
      if (axis.ticktext) {
        axis.ticktext = axis.ticktext.map(function (text) { return wrap(String(text), label); });
      } else if (!axis.tickvals && Array.isArray(trace.y) && trace.y.every(function (y) { return typeof y === "string"; })) {
        var seen = axis.wrapped = axis.wrapped || [];
        trace.y.forEach(function (y) { if (seen.indexOf(y) === -1) { seen.push(y); } });
      }
    });
    Object.keys(layout).forEach(function (key) {
      var axis = layout[key];
      if (axis && axis.wrapped) {
        axis.type = axis.type || "category";
        axis.tickvals = axis.wrapped;
        axis.ticktext = axis.wrapped.map(function (text) { return wrap(text, label); });
        delete axis.wrapped;
      }
    });
    // Wrapped names need more height than the server gave each bar: grow the chart to fit them.
    var rows = 0;
    Object.keys(layout).forEach(function (key) {
      var axis = layout[key];
      if (/^yaxis\d*$/.test(key) && axis.ticktext) {
        var needed = axis.ticktext.reduce(function (sum, text) { return sum + String(text).split("<br>").length * 15 + 12; }, 0);
        rows = Math.max(rows, needed);
      }
    });
    if (rows && layout.height) { layout.height = Math.max(layout.height, rows + 140); }
    // Names beside many dots (the network map) crowd a phone's screen: there the search names them.
    var map = false;
    data.forEach(function (trace) {
      if (trace.mode === "markers+text" && trace.meta === "map-partners") { trace.mode = "markers"; map = true; }
    });
    if (map && layout.height) { layout.height = Math.min(layout.height, Math.round(width * 1.2)); }
    data.forEach(function (trace) { if (trace.name) { trace.name = wrap(String(trace.name), line - 4); } });
    // Titles over panels side by side share the width; wrapped, they need more room above the plot.
    var panels = Object.keys(layout).filter(function (key) { return /^xaxis\d*$/.test(key); }).length || 1;
    var titleLines = 0;
    var panelChars = panels > 1 ? Math.max(8, Math.floor((width - 140) / panels / CHAR_WIDTH)) : line;
    (layout.annotations || []).forEach(function (note) {
      if (note.yref === "paper" && note.y >= 1) {
        note.font = Object.assign({}, note.font, {size: 12});
        note.text = wrap(note.text, panelChars);
        titleLines = Math.max(titleLines, String(note.text).split("<br>").length);
      } else {
        note.text = wrap(note.text, line);
      }
    });
    if (titleLines) { layout.margin.t = Math.max(layout.margin.t || 30, titleLines * 16 + 14); }
    // Values written beside the bars' ends need room on the right.
    if (data.some(function (trace) { return trace.textposition === "outside"; })) { layout.margin.r = 36; }
    // The legend goes below the plot, across the chart's width.
    var entries = data.filter(function (trace) { return trace.showlegend !== false && trace.name; }).length;
    // plotly shows no legend for a single trace unless told to.
    if (layout.showlegend === true || (layout.showlegend !== false && entries > 1)) {
      layout.legend = Object.assign({}, layout.legend, {
        orientation: "h", x: 0, xanchor: "left", y: 0, yref: "container", yanchor: "bottom"
      });
      var legendHeight = entries * 22 + 10;
      layout.margin.b = (layout.margin.b || 60) + legendHeight;
      if (layout.height) { layout.height += legendHeight; }
      // The room kept above the plot for the legend is no longer needed, unless titles sit there.
      var titled = (layout.annotations || []).some(function (note) { return note.yref === "paper" && note.y >= 1; });
      if (margin.t > 30 && !titled) { layout.margin.t = 30; }
    }
    return {data: data, layout: layout};
  }

  function config(narrow) {
    // Nothing leaves Tandem: no "send to cloud" or "edit in Chart Studio" buttons. On a phone no
    // toolbar at all: it would cover the legend, and the numbers are in the table and its CSV.
    return {
      responsive: true, displaylogo: false, showSendToCloud: false, showEditInChartStudio: false, showLink: false,
      displayModeBar: narrow ? false : "hover",
      modeBarButtonsToRemove: ["select2d", "lasso2d", "sendDataToCloud"]
    };
  }

  var drawn = [];

  function drawOne(item) {
    var narrow = item.element.clientWidth < NARROW;
    var shown = narrow ? narrowFigure(item.figure, item.element.clientWidth) : copy(item.figure);
    item.narrow = narrow;
    item.element.setAttribute("data-layout", narrow ? "narrow" : "wide");
    Plotly.react(item.element, shown.data, shown.layout, config(narrow));
    item.element.dispatchEvent(new CustomEvent("tandem:chart-drawn"));
  }

  function draw() {
    if (typeof Plotly === "undefined") { return; }
    document.querySelectorAll("[data-figure]").forEach(function (element) {
      var source = document.getElementById(element.getAttribute("data-figure"));
      if (!source) { return; }
      var item = {element: element, figure: JSON.parse(source.textContent), narrow: null};
      drawn.push(item);
      drawOne(item);
    });
  }

  // plotly follows a change of width itself (responsive); a change across the breakpoint, such as a
  // phone turned sideways, lays the chart out again.
  var pending = null;
  window.addEventListener("resize", function () {
    window.clearTimeout(pending);
    pending = window.setTimeout(function () {
      drawn.forEach(function (item) {
        if ((item.element.clientWidth < NARROW) !== item.narrow) { drawOne(item); }
      });
    }, 200);
  });

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
