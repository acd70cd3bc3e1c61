// The review pages' script: field <-> box highlighting, one save for all the fields without
// reloading the page, and keyboard shortcuts (their legend is printed on each page).
(function () {
  "use strict";

  function select(name) {
    document.querySelectorAll(".active").forEach(function (el) { el.classList.remove("active"); });
    if (!name) { return null; }
    var row = document.querySelector('tr.field[data-field="' + name + '"]');
    var box = document.querySelector('rect.box[data-field="' + name + '"]');
    if (row) { row.classList.add("active"); }
    if (box) { box.classList.add("active"); }
    return { row: row, box: box };
  }

  function bindBoxes(root) {
    root.querySelectorAll("tr.field").forEach(function (row) {
      row.addEventListener("click", function () {
        var found = select(row.dataset.field);
        if (found && found.box) { found.box.scrollIntoView({ block: "center", behavior: "smooth" }); }
      });
      var input = row.querySelector("input");
      if (input) { input.addEventListener("focus", function () { select(row.dataset.field); }); }
    });
    root.querySelectorAll("rect.box").forEach(function (box) {
      box.addEventListener("click", function () {
        var found = select(box.dataset.field);
        if (found && found.row) {
          found.row.scrollIntoView({ block: "center", behavior: "smooth" });
          var input = found.row.querySelector("input");
          if (input) { input.focus(); }
        }
      });
    });
  }

  // A message from the page's script: shown over the page (a fixed box), so that nothing
  // below it moves.
  function say(kind, text) {
    var box = document.getElementById("toast");
    if (!box) {
      box = document.createElement("div");
      box.id = "toast";
      document.body.appendChild(box);
    }
    box.textContent = "";
    var p = document.createElement("p");
    p.className = kind === "error" ? "error" : "ok";
    p.setAttribute("role", kind === "error" ? "alert" : "status");
    p.dataset.testid = kind === "error" ? "error" : "message";
    p.textContent = text;
    box.appendChild(p);
  }

  // One save for every field: post the form, then refresh the document part of the page
  // (reasons, checks, boxes, history) from the server, keeping the scroll position.
  function bindFields(root) {
    var form = root.querySelector("#fields-form");
    if (!form || !window.fetch) { return; }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var x = window.scrollX, y = window.scrollY;
      var side = document.querySelector("#document .side");
      var sideTop = side ? side.scrollTop : 0;
      fetch(form.action, {
        method: "POST", body: new FormData(form), credentials: "same-origin",
        headers: { "Accept": "application/json" }
      }).then(function (r) {
        if (!r.ok) { throw new Error("HTTP " + r.status); }
        return r.json();
      }).then(function (answer) {
        return fetch(window.location.href, { credentials: "same-origin" })
          .then(function (r) { return r.text(); })
          .then(function (html) {
            var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("#document");
            var old = document.querySelector("#document");
            if (fresh && old) { old.replaceWith(fresh); bindDocument(fresh); }
            window.scrollTo(x, y);
            var freshSide = document.querySelector("#document .side");
            if (freshSide) { freshSide.scrollTop = sideTop; }
            var errors = Object.keys(answer.errors || {}).map(function (k) { return answer.errors[k]; });
            if (errors.length) { say("error", errors.join(" ; ")); }
            else if (answer.changed.length) { say("message", "corrigé : " + answer.changed.length + " champ(s) enregistré(s)"); }
            else { say("message", "aucun changement"); }
            var first = errors.length ? Object.keys(answer.errors)[0] : null;
            if (first) {
              var input = document.querySelector('[data-testid="field-' + first + '"]');
              if (input) { input.focus(); }
            }
          });
      }).catch(function () { form.submit(); });
    });
  }

  // The page viewer: zoom and quarter turns, kept while the document part is refreshed.
  var view = { zoom: 1, turn: 0 };
  function applyView() {
    document.querySelectorAll(".sheet").forEach(function (sheet) {
      sheet.style.width = (100 * view.zoom) + "%";
      sheet.style.transform = view.turn ? "rotate(" + (90 * view.turn) + "deg)" : "";
      sheet.dataset.turn = String(view.turn);
    });
  }
  function viewer(action) {
    if (!document.querySelector(".sheet")) { return false; }
    if (action === "zoom-in") { view.zoom = Math.min(4, view.zoom * 1.25); }
    else if (action === "zoom-out") { view.zoom = Math.max(0.5, view.zoom / 1.25); }
    else if (action === "fit") { view.zoom = 1; view.turn = 0; }
    else if (action === "rotate") { view.turn = (view.turn + 1) % 4; }
    applyView();
    return true;
  }
  function bindViewer(root) {
    root.querySelectorAll("[data-view]").forEach(function (button) {
      button.addEventListener("click", function () { viewer(button.dataset.view); });
    });
    applyView();
  }

  // Drawing a field's place: the field's ▭ button, then a rectangle dragged on the page
  // around the value the reading missed. The box (page points, whatever the zoom or turn)
  // goes with the next save as box:NAME = "page,x0,y0,x1,y1".
  var drawing = null;
  function pointIn(svg, event) {
    var pt = svg.createSVGPoint();
    pt.x = event.clientX; pt.y = event.clientY;
    return pt.matrixTransform(svg.getScreenCTM().inverse());
  }
  function bindDraw(root) {
    root.querySelectorAll("[data-draw]").forEach(function (button) {
      button.addEventListener("click", function () {
        drawing = { name: button.dataset.draw };
        document.body.classList.add("drawing");
        say("message", "Tracez sur la page le cadre de la valeur");
      });
    });
    root.querySelectorAll("svg.boxes").forEach(function (svg) {
      svg.addEventListener("mousedown", function (event) {
        if (!drawing) { return; }
        event.preventDefault();
        var start = pointIn(svg, event);
        var rect = document.createElementNS("http://www.w3.org/2000/svg", "rect");
        rect.setAttribute("class", "drawn");
        svg.appendChild(rect);
        drawing.svg = svg; drawing.start = start; drawing.rect = rect;
        drawing.box = [start.x, start.y, start.x, start.y];
      });
      svg.addEventListener("mousemove", function (event) {
        if (!drawing || drawing.svg !== svg) { return; }
        var p = pointIn(svg, event), s = drawing.start;
        drawing.box = [Math.min(s.x, p.x), Math.min(s.y, p.y), Math.max(s.x, p.x), Math.max(s.y, p.y)];
        drawing.rect.setAttribute("x", drawing.box[0]); drawing.rect.setAttribute("y", drawing.box[1]);
        drawing.rect.setAttribute("width", drawing.box[2] - drawing.box[0]);
        drawing.rect.setAttribute("height", drawing.box[3] - drawing.box[1]);
      });
      svg.addEventListener("mouseup", function () {
        if (!drawing || drawing.svg !== svg) { return; }
        var name = drawing.name;
        var input = document.querySelector('input[data-box="' + name + '"]');
        if (input) {
          input.value = [svg.dataset.page].concat(drawing.box.map(function (v) { return v.toFixed(1); })).join(",");
        }
        drawing.rect.dataset.field = name;
        drawing = null;
        document.body.classList.remove("drawing");
        var field = document.querySelector('[data-testid="field-' + name + '"]');
        if (field) { field.focus(); field.select(); }
        say("message", "cadre dessiné : saisissez la valeur puis enregistrez");
      });
    });
  }

  function bindDocument(root) { bindBoxes(root); bindFields(root); bindViewer(root); bindDraw(root); }

  function typing(el) {
    return el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT" || el.isContentEditable);
  }

  function follow(selector) {
    var link = document.querySelector(selector);
    if (link) { window.location.href = link.getAttribute("href"); return true; }
    return false;
  }

  function submit(selector) {
    var form = document.querySelector(selector);
    if (!form) { return false; }
    var reason = form.querySelector("[name=reason]");
    if (reason && !reason.value.trim()) { reason.focus(); return true; }
    if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
    return true;
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (typing(event.target)) {
      if (event.key === "Escape") { event.target.blur(); }
      return;
    }
    var tag = event.target && event.target.tagName;
    if (event.key === "Enter" && (tag === "A" || tag === "BUTTON")) { return; }
    var done = false;
    switch (event.key) {
      case "j": done = follow("[data-key=next]"); break;
      case "k": done = follow("[data-key=previous]"); break;
      case "v": done = submit("#approve-form"); break;
      case "m": done = submit("#set-aside-form"); break;
      case "c": {
        var input = document.querySelector("input[data-doubtful]") || document.querySelector("#fields-form input.value");
        if (input) { input.focus(); input.select(); done = true; }
        break;
      }
      case "Enter": case "o": done = follow("[data-testid=open]"); break;
      case "+": done = viewer("zoom-in"); break;
      case "-": done = viewer("zoom-out"); break;
      case "0": done = viewer("fit"); break;
      case "r": done = viewer("rotate"); break;
      case "/": {
        var search = document.querySelector("[data-testid=search]");
        if (search) { search.focus(); done = true; }
        break;
      }
    }
    if (done) { event.preventDefault(); }
  });

  document.addEventListener("DOMContentLoaded", function () {
    bindDocument(document);
    var all = document.querySelector("[data-check-all]");
    if (all) {
      all.addEventListener("change", function () {
        document.querySelectorAll("input[name=document_id]").forEach(function (box) { box.checked = all.checked; });
      });
    }
  });
})();
