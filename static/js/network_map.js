// The network map's search: circles the partners whose name matches, draws their connections, fades
// the rest, and says in words (to everyone, and to screen readers as it changes) who was found and
// with whom each is connected. The same figures are in the tables below the map.
(function () {
  "use strict";
  var FADED = 0.15;

  // plotly reads a label as its small HTML: a name is text.
  function escaped(text) {
    return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }

  function start() {
    var box = document.querySelector("[data-map-search]");
    var source = document.getElementById("network-map-search");
    var chart = box && document.getElementById(box.getAttribute("data-map-search"));
    if (!box || !source || !chart || typeof Plotly === "undefined") { return; }
    var nodes = JSON.parse(source.textContent).nodes;
    var byId = {};
    nodes.forEach(function (node) { byId[node.id] = node; });
    var input = box.querySelector("input");
    var result = document.getElementById("map-search-result");
    box.hidden = false;

    // The server's labels, kept to put back when the search is cleared.
    var labels = {};
    function tracesOf(meta) {
      var found = [];
      (chart.data || []).forEach(function (trace, index) { if (trace.meta === meta) { found.push(index); } });
      return found;
    }
    function remember() {
      tracesOf("map-partners").forEach(function (index) {
        labels[index] = {text: chart.data[index].text.slice(), mode: chart.data[index].mode};
      });
    }

    function names(ids) { return ids.map(function (id) { return byId[id].name; }).join(", "); }

    function describe(query, found) {
      if (!query) { return ""; }
      if (!found.length) { return "No organization on the map matches “" + query + "”."; }
      if (found.length > 5) {
        return found.length + " organizations match “" + query + "”: " + names(found.map(function (n) { return n.id; })) + ".";
      }
      return found.map(function (node) {
        var count = node.neighbours.length;
        return node.name + " (" + node.sector + "): " + (count ? count + " connection" + (count === 1 ? "" : "s") + ", with " + names(node.neighbours) : "no connections") + ".";
      }).join(" ");
    }

    function apply() {
      if (!chart.data) { return; }
      if (!Object.keys(labels).length) { remember(); }
      var query = input.value.trim();
      var needle = query.toLowerCase();
      var found = needle ? nodes.filter(function (node) { return node.name.toLowerCase().indexOf(needle) !== -1; }) : [];
      var lit = {};
      found.forEach(function (node) {
        lit[node.id] = true;
        node.neighbours.forEach(function (id) { lit[id] = true; });
      });
      var searching = found.length > 0;
      tracesOf("map-partners").forEach(function (index) {
        var trace = chart.data[index];
        var original = labels[index];
        Plotly.restyle(chart, {
          "marker.opacity": [trace.customdata.map(function (id) { return !searching || lit[id] ? 1 : FADED; })],
          // While searching, the partners found and their partners are named, even where the map left
          // a name off (or a phone shows none).
          text: [trace.customdata.map(function (id, i) { return searching ? (lit[id] ? escaped(byId[id].name) : "") : original.text[i]; })],
          mode: searching ? "markers+text" : original.mode
        }, [index]);
      });
      var lines = [];
      (chart.data || []).forEach(function (trace, index) {
        if (trace.mode === "lines" && !trace.meta) { lines.push(index); }
      });
      if (lines.length) { Plotly.restyle(chart, {opacity: searching ? FADED : 1}, lines); }
      var xs = [];
      var ys = [];
      found.forEach(function (node) {
        node.neighbours.forEach(function (id) { xs.push(node.x, byId[id].x, null); ys.push(node.y, byId[id].y, null); });
      });
      Plotly.restyle(chart, {x: [xs], y: [ys]}, tracesOf("map-search-ties"));
      Plotly.restyle(chart, {
        x: [found.map(function (node) { return node.x; })], y: [found.map(function (node) { return node.y; })]
      }, tracesOf("map-search-found"));
      result.textContent = describe(query, found);
      chart.setAttribute("data-found", found.map(function (node) { return node.id; }).join(" "));
    }

    var pending = null;
    input.addEventListener("input", function () { window.clearTimeout(pending); pending = window.setTimeout(apply, 150); });
    input.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { input.value = ""; apply(); }
    });
    // charts.js draws the map again when a phone turns sideways: remember its labels and search again.
    chart.addEventListener("tandem:chart-drawn", function () { labels = {}; if (input.value.trim()) { apply(); } });
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
