// Updates an upload's progress bar in place while its file is read, then shows the result.
// Without JavaScript the page refreshes itself instead (a <meta http-equiv="refresh"> in <noscript>).
(function () {
  "use strict";
  var section = document.getElementById("upload-progress");
  if (!section) return;
  var bar = document.getElementById("upload-progress-bar");
  var text = document.getElementById("upload-progress-text");
  var url = section.getAttribute("data-progress-url");
  function number(value) { return Number(value).toLocaleString("en-US"); }
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (progress) {
        if (!progress) { window.setTimeout(poll, 5000); return; }
        if (progress.done) { window.location.reload(); return; }
        bar.value = progress.percent;
        bar.textContent = progress.percent + " %";
        text.textContent = progress.percent + " % read: " + number(progress.rows_done) +
          " of about " + number(progress.rows_total) + " rows.";
        window.setTimeout(poll, 1500);
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 1000);
})();
