// A table wider than its box scrolls sideways (most tables, on a phone). Such a box takes the keyboard
// focus and is named by its table's caption, so it can be scrolled without a mouse. Boxes marked in
// the template already (includes/table.html) are left as they are.
(function () {
  "use strict";

  function mark() {
    document.querySelectorAll(".tandem-table-wrap:not([tabindex])").forEach(function (box) {
      if (box.scrollWidth <= box.clientWidth) return;
      var caption = box.querySelector("caption");
      box.setAttribute("tabindex", "0");
      box.setAttribute("role", "region");
      box.setAttribute("aria-label", caption ? caption.textContent.trim() : "Table");
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", mark);
  } else {
    mark();
  }
  window.addEventListener("resize", mark);
})();
