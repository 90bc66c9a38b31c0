// Every page's small helpers; the page works without them. Loaded right after the header
// (not deferred), so that on a phone the menu is folded before the page is first drawn.
(function () {
  "use strict";

  // The header's menu (a <details>, open as sent): folded where its summary shows, i.e. on
  // a narrow screen (attest.css decides where), unfolded again when the screen widens.
  const menu = document.querySelector(".site-header details.menu");
  if (menu) {
    const summary = menu.querySelector("summary");
    let narrow = null;
    const fit = function () {
      const nowNarrow = getComputedStyle(summary).display !== "none";
      if (nowNarrow !== narrow) {
        narrow = nowNarrow;
        menu.open = !narrow;
      }
    };
    fit();
    window.addEventListener("resize", fit);
  }

  // Tables stack into one block per row on a narrow screen (attest.css): each cell is then
  // labelled with its column's heading, copied here from the table's head.
  function labelCells() {
    for (const table of document.querySelectorAll("table.list")) {
      const headings = Array.from(table.querySelectorAll("thead th"), function (th) {
        return th.textContent.trim();
      });
      for (const body of table.tBodies) {
        for (const row of body.rows) {
          let column = 0;
          for (const cell of row.cells) {
            const label = headings[column];
            if (label && !cell.hasAttribute("data-label")) {
              cell.setAttribute("data-label", label);
            }
            column += cell.colSpan;
          }
        }
      }
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", labelCells);
  } else {
    labelCells();
  }
})();
