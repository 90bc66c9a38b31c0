// Every page's small helpers (deferred); each page works and reads the same without them.
(function () {
  "use strict";

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
  labelCells();
})();
