(function () {
  "use strict";
  // Sorting: any table with class "sortable"; a click on a header sorts by that column.
  // Cells sort by their data-k attribute when present, else their text, numerically when
  // both values are numbers.
  function key(cell) {
    var k = cell.getAttribute("data-k");
    return k !== null ? k : cell.textContent.trim();
  }
  function compare(a, b) {
    var x = parseFloat(a.replace(/,/g, "")), y = parseFloat(b.replace(/,/g, ""));
    if (!isNaN(x) && !isNaN(y) && /^[-\d.,]+$/.test(a) && /^[-\d.,]+$/.test(b)) return x - y;
    return a.localeCompare(b, undefined, { numeric: true, sensitivity: "base" });
  }
  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), function (table) {
    var head = table.tHead && table.tHead.rows[0];
    var body = table.tBodies[0];
    if (!head || !body) return;
    Array.prototype.forEach.call(head.cells, function (th, column) {
      if (th.classList.contains("nosort")) return;
      th.setAttribute("data-sortable", "");
      th.setAttribute("tabindex", "0");
      function sort() {
        var asc = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(head.cells, function (other) { other.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", asc ? "ascending" : "descending");
        var rows = Array.prototype.slice.call(body.rows);
        rows.forEach(function (row, i) { row._i = i; });
        rows.sort(function (r, s) {
          var a = r.cells[column], b = s.cells[column];
          var c = a && b ? compare(key(a), key(b)) : 0;
          return (asc ? c : -c) || r._i - s._i;
        });
        var fragment = document.createDocumentFragment();
        rows.forEach(function (row) { fragment.appendChild(row); });
        body.appendChild(fragment);
      }
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (e) {
        if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sort(); }
      });
    });
  });

  // Printing shows the folded lists too.
  window.addEventListener("beforeprint", function () {
    Array.prototype.forEach.call(document.querySelectorAll("details"), function (d) { d.open = true; });
  });

  // Filtering the findings table by text and severity.
  var table = document.getElementById("findings-table");
  var controls = document.getElementById("findings-controls");
  if (!table || !controls) return;
  var query = document.getElementById("findings-query");
  var severity = document.getElementById("findings-severity");
  var count = document.getElementById("findings-count");
  var rows = Array.prototype.slice.call(table.tBodies[0].rows);
  var texts = rows.map(function (row) { return row.textContent.toLowerCase(); });
  controls.hidden = false;
  function apply() {
    var q = query.value.trim().toLowerCase(), s = severity.value, shown = 0;
    rows.forEach(function (row, i) {
      var ok = (!s || row.getAttribute("data-sev") === s) && (!q || texts[i].indexOf(q) >= 0);
      row.hidden = !ok;
      if (ok) shown++;
    });
    count.textContent = shown.toLocaleString("en-US") + " of " + rows.length.toLocaleString("en-US") + " rows shown";
  }
  query.addEventListener("input", apply);
  severity.addEventListener("change", apply);
  apply();
})();
