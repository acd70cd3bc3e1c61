// Click a field to highlight its box on the page, and a box to highlight its field.
(function () {
  "use strict";
  function select(name) {
    document.querySelectorAll(".active").forEach(function (el) { el.classList.remove("active"); });
    if (!name) { return; }
    var row = document.querySelector('tr.field[data-field="' + name + '"]');
    var box = document.querySelector('rect.box[data-field="' + name + '"]');
    if (row) { row.classList.add("active"); }
    if (box) { box.classList.add("active"); }
    return { row: row, box: box };
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("tr.field").forEach(function (row) {
      row.addEventListener("click", function () {
        var found = select(row.dataset.field);
        if (found && found.box) { found.box.scrollIntoView({ block: "center", behavior: "smooth" }); }
      });
    });
    document.querySelectorAll("rect.box").forEach(function (box) {
      box.addEventListener("click", function () {
        var found = select(box.dataset.field);
        if (found && found.row) {
          found.row.scrollIntoView({ block: "center", behavior: "smooth" });
          var input = found.row.querySelector("input[name=value]");
          if (input) { input.focus(); }
        }
      });
    });
  });
})();
