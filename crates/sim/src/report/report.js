// The HTML report's behaviour: sortable comparison tables, and the timelines (uPlot, vendored)
// with UTC date axes, drag-to-zoom (double-click resets), series shown or hidden from the
// legend, and small multiples whose cursors and zoom move together.
(function () {
  "use strict";
  var errors = document.getElementById("errors");
  function fail(msg) {
    errors.hidden = false;
    errors.textContent += msg + "\n";
  }
  window.addEventListener("error", function (e) {
    fail("The charts could not be drawn: " + e.message);
  });

  // Tables: click a header to sort by it; again to reverse.
  document.querySelectorAll("table.sortable").forEach(function (table) {
    var heads = table.querySelectorAll("thead th");
    heads.forEach(function (th, col) {
      th.tabIndex = 0;
      function sort() {
        var asc = th.getAttribute("aria-sort") !== "ascending";
        heads.forEach(function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", asc ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = a.cells[col].dataset.v, y = b.cells[col].dataset.v;
          var nx = parseFloat(x), ny = parseFloat(y);
          var c = (isNaN(nx) || isNaN(ny)) ? String(x).localeCompare(String(y)) : nx - ny;
          return asc ? c : -c;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      }
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (e) { if (e.key === "Enter") sort(); });
      th.sortBy = sort;
    });
  });
  // A link can open the comparison sorted: #sort=N (column N ascending), #sort=-N (descending).
  var m = /^#sort=(-?)(\d+)$/.exec(location.hash);
  var cmp = document.getElementById("comparison");
  if (m && cmp) {
    var th = cmp.querySelectorAll("thead th")[Number(m[2])];
    if (th) {
      th.sortBy();
      if (m[1] === "-") th.sortBy();
    }
  }

  var data = JSON.parse(document.getElementById("report-data").textContent);
  var palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#8c564b", "#e377c2",
                 "#bcbd22", "#17becf", "#ff7f0e", "#7f7f7f", "#393b79", "#637939",
                 "#8c6d31", "#843c39", "#7b4173", "#3182bd"];
  var utc = function (ts) { return uPlot.tzDate(new Date(ts * 1e3), "Etc/UTC"); };

  function times(n) {
    var xs = new Array(n);
    for (var i = 0; i < n; i++) xs[i] = data.start + i * data.every;
    return xs;
  }

  // Zoom on one chart of a group zooms them all.
  function zoomGroup(charts) {
    return function (u, key) {
      if (key !== "x") return;
      var min = u.scales.x.min, max = u.scales.x.max;
      charts.forEach(function (o) {
        if (o !== u && (o.scales.x.min !== min || o.scales.x.max !== max)) {
          o.setScale("x", { min: min, max: max });
        }
      });
    };
  }

  function width(el) { return Math.max(320, el.clientWidth || 960); }

  function chart(el, title, ylabel, xs, series, height, group, charts, ymax) {
    var opts = {
      title: title,
      width: width(el),
      height: height,
      tzDate: utc,
      cursor: { sync: { key: group }, drag: { x: true, y: false } },
      scales: ymax ? { x: { time: true }, y: { range: [0, ymax] } } : { x: { time: true } },
      axes: [{}, { label: ylabel, size: 60 }],
      series: [{ label: "time (UTC)" }].concat(series.map(function (s) {
        return { label: s.label, stroke: s.color, width: s.dashed ? 1 : 1.5,
                 dash: s.dashed ? [6, 4] : undefined, show: s.show !== false,
                 spanGaps: false };
      })),
      hooks: { setScale: [zoomGroup(charts)] }
    };
    var u = new uPlot(opts, [xs].concat(series.map(function (s) { return s.values; })), el);
    charts.push(u);
    return u;
  }

  data.endpoints.forEach(function (ep, ei) {
    var root = document.getElementById("endpoint-" + ei);
    var xs = times(ep.traffic.length);
    var charts = [];
    var group = "ep" + ei;
    chart(root.querySelector(".traffic"), "Traffic", "requests / s", xs,
          [{ label: "arrivals", color: palette[0], values: ep.traffic }], 220, group, charts);

    // Small multiples: one chart per contender, its capacity against the oracle's demand, all
    // on one y scale so they compare at a glance.
    var grid = root.querySelector(".multiples");
    var ymax = 1;
    ep.demand.forEach(function (v) { if (v > ymax) ymax = v; });
    ep.contenders.forEach(function (c) {
      c.capacity.forEach(function (v) { if (v > ymax) ymax = v; });
    });
    ymax = Math.ceil(ymax * 1.05);
    ep.contenders.forEach(function (c, k) {
      var cell = document.createElement("div");
      cell.className = "multiple";
      grid.appendChild(cell);
      chart(cell, c.name, "instances", xs, [
        { label: "in service", color: palette[k % palette.length], values: c.capacity },
        { label: "demand", color: "#000", dashed: true, values: ep.demand }
      ], 170, group, charts, ymax);
    });

    function overlay(cls, title, ylabel, key, extra) {
      var series = ep.contenders.map(function (c, k) {
        return { label: c.name, color: palette[k % palette.length], values: c[key],
                 dashed: c.kind === "oracle", show: c.shown };
      });
      if (extra) series.push(extra);
      chart(root.querySelector(cls), title, ylabel, xs, series, 300, group, charts);
    }
    overlay(".latency", "p99 latency (capped at 5 × SLO)", "ms", "p99",
            { label: "SLO", color: "#000", dashed: true,
              values: ep.traffic.map(function () { return ep.slo_ms; }) });
    overlay(".cost", "Cumulative cost", "USD", "cost");
  });
  document.body.dataset.charts = String(document.querySelectorAll(".uplot").length);
})();
