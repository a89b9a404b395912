// The month form's running totals: for each breakdown and measure, what its categories add up to
// against the measure's total, updated as the partner types. Without this script the server shows the
// same lines, and checks them, when the form is sent.
(function () {
  "use strict";
  const form = document.querySelector("[data-report-form]");
  if (!form) return;

  function count(input) {
    const text = input.value.trim();
    return /^\d+$/.test(text) ? parseInt(text, 10) : 0;
  }

  // A breakdown left blank under a total was not collected: its total is counted as unknown.
  function sumText(given, total, blank) {
    if (blank && total) return total + " not collected: counted as unknown";
    if (given === total) return given + " of " + total;
    if (given < total) return given + " of " + total + ": " + (total - given) + " to go";
    return given + " of " + total + ": " + (given - total) + " too many";
  }

  function update(measure) {
    const total = form.querySelector('input[data-breakdown="total"][data-measure="' + measure + '"]');
    const totalCount = total ? count(total) : 0;
    form.querySelectorAll("[data-sum]").forEach(function (cell) {
      const [breakdown, cellMeasure] = cell.dataset.sum.split(" ");
      if (cellMeasure !== measure) return;
      let given = 0;
      let blank = true;
      form
        .querySelectorAll('input[data-breakdown="' + breakdown + '"][data-measure="' + measure + '"]')
        .forEach(function (input) {
          given += count(input);
          if (input.value.trim() !== "") blank = false;
        });
      cell.querySelector("[data-sum-text]").textContent = sumText(given, totalCount, blank);
      cell.classList.toggle("tandem-sum--off", given !== totalCount && !blank);
    });
  }

  form.addEventListener("input", function (event) {
    const measure = event.target.dataset && event.target.dataset.measure;
    if (measure) update(measure);
  });
  const measures = new Set();
  form.querySelectorAll("input[data-measure]").forEach(function (input) {
    measures.add(input.dataset.measure);
  });
  measures.forEach(update);
  const summary = document.getElementById("error-summary");
  if (summary) summary.focus();
})();
