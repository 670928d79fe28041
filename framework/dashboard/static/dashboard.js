// The dashboard's own script: live refresh of a running run, auto-submitting selects,
// pan and zoom of the run graph, and the charts (drawn by Apache ECharts where a page
// loads it). Pages work without it: the graph is a plain SVG that scrolls, and every
// chart has its numbers in a table or a plot beside it.
(function () {
  "use strict";

  // ------------------------------------------------------------ a running run
  var run = document.getElementById("run");
  if (run && run.dataset.poll) {
    var url = run.dataset.poll, seen = run.dataset.signature;
    var timer = setInterval(function () {
      fetch(url, { headers: { "Accept": "application/json" }, cache: "no-store" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (!data) { return; }
          if (data.signature !== seen) { window.location.reload(); }
          if (data.status !== "running") { clearInterval(timer); }
        })
        .catch(function () { /* the server may be restarting: try again next tick */ });
    }, 2000);
  }
  var selects = document.querySelectorAll("select.autosubmit");
  for (var i = 0; i < selects.length; i++) {
    selects[i].addEventListener("change", function (event) { event.target.form.submit(); });
  }

  // ------------------------------------------------------------ pan and zoom
  // The SVG keeps its layout size; the viewport shows a window onto it through the
  // viewBox: wheel zooms around the pointer, dragging pans, buttons zoom, fit and reset.
  function zoomable(viewport) {
    var svg = viewport.querySelector("svg.dag");
    if (!svg || !svg.dataset.width) { return; }
    var full = { w: +svg.dataset.width, h: +svg.dataset.height };
    var height = Math.max(80, Math.min(full.h, Math.round(window.innerHeight * 0.7)));
    viewport.classList.add("zoomable");
    svg.setAttribute("width", "100%");
    svg.setAttribute("height", String(height));
    svg.setAttribute("preserveAspectRatio", "xMinYMin meet");
    var view = { x: 0, y: 0, k: 1 };  // k: screen pixels per graph unit

    function apply() {
      var w = viewport.clientWidth / view.k, h = height / view.k;
      svg.setAttribute("viewBox", [view.x, view.y, w, h].map(function (v) { return v.toFixed(1); }).join(" "));
    }
    function zoomAt(factor, px, py) {
      var k = Math.max(0.05, Math.min(4, view.k * factor));
      view.x += px / view.k - px / k;
      view.y += py / view.k - py / k;
      view.k = k;
      apply();
    }
    function fit() {
      view.k = Math.min(1, viewport.clientWidth / full.w, height / full.h);
      view.k = Math.max(view.k, 0.05);
      view.x = 0;
      view.y = 0;
      apply();
    }
    function reset() { view.k = 1; view.x = 0; view.y = 0; apply(); }
    function focus(node) {  // the selected step, centred at actual size
      var box = node.getBBox();
      view.k = 1;
      view.x = box.x + box.width / 2 - viewport.clientWidth / 2;
      view.y = box.y + box.height / 2 - height / 2;
      apply();
    }
    viewport.addEventListener("wheel", function (event) {  // scroll pans; Ctrl + wheel (and pinch) zooms
      event.preventDefault();
      if (event.ctrlKey || event.metaKey) {
        var rect = svg.getBoundingClientRect();
        zoomAt(Math.exp(-event.deltaY * 0.003), event.clientX - rect.left, event.clientY - rect.top);
      } else {
        view.x += (event.shiftKey ? event.deltaY : event.deltaX) / view.k;
        view.y += (event.shiftKey ? 0 : event.deltaY) / view.k;
        apply();
      }
    }, { passive: false });
    var drag = null;
    viewport.addEventListener("pointerdown", function (event) {
      if (event.button !== 0) { return; }
      drag = { x: event.clientX, y: event.clientY, vx: view.x, vy: view.y, moved: false };
    });
    window.addEventListener("pointermove", function (event) {
      if (!drag) { return; }
      var dx = event.clientX - drag.x, dy = event.clientY - drag.y;
      if (Math.abs(dx) + Math.abs(dy) > 3) { drag.moved = true; viewport.classList.add("dragging"); }
      view.x = drag.vx - dx / view.k;
      view.y = drag.vy - dy / view.k;
      apply();
    });
    window.addEventListener("pointerup", function () {
      if (drag && drag.moved) {  // a drag is not a click on the step under the pointer
        viewport.addEventListener("click", function swallow(e) { e.preventDefault(); e.stopPropagation(); }, { capture: true, once: true });
      }
      drag = null;
      viewport.classList.remove("dragging");
    });
    var tools = viewport.parentNode.querySelector(".dag-tools");
    if (tools) {
      tools.hidden = false;
      tools.addEventListener("click", function (event) {
        var what = event.target.dataset ? event.target.dataset.zoom : null;
        var cx = viewport.clientWidth / 2, cy = height / 2;
        if (what === "in") { zoomAt(1.25, cx, cy); }
        if (what === "out") { zoomAt(0.8, cx, cy); }
        if (what === "fit") { fit(); }
        if (what === "reset") { reset(); }
      });
    }
    window.addEventListener("resize", apply);
    function start() {  // as wide as fits, but never smaller than readable; tall graphs scroll
      view.k = Math.max(0.55, Math.min(1, viewport.clientWidth / full.w));
      view.x = 0;
      view.y = 0;
      apply();
    }
    var selected = svg.querySelector(".dag-node.selected");
    if (selected && (full.w > viewport.clientWidth || full.h > height)) { focus(selected); }
    else { start(); }
  }
  var viewports = document.querySelectorAll(".dag-viewport");
  for (var v = 0; v < viewports.length; v++) { zoomable(viewports[v]); }

  // ------------------------------------------------------------ charts
  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;" }[c];
    });
  }
  function fmt(value) {
    if (typeof value !== "number") { return String(value); }
    return Math.abs(value) >= 1e4 || (Math.abs(value) < 1e-3 && value !== 0) ? value.toExponential(2) : String(+value.toPrecision(4));
  }
  var builders = {
    histogram: function (data) {
      var labels = data.counts.map(function (_c, i) { return fmt(data.edges[i]) + " – " + fmt(data.edges[i + 1]); });
      return {
        grid: { left: 56, right: 20, top: 16, bottom: 56 },
        tooltip: { trigger: "axis", formatter: function (p) { return escapeHtml(p[0].name) + ": <b>" + p[0].value + "</b>"; } },
        xAxis: { type: "category", data: labels, axisLabel: { rotate: 30, fontSize: 10 } },
        yAxis: { type: "value", name: "count" },
        series: [{ type: "bar", data: data.counts, barCategoryGap: "4%", itemStyle: { color: "#2f6fb7" } }]
      };
    },
    lines: function (data) {
      return {
        grid: { left: 64, right: 24, top: 40, bottom: 70 },
        legend: { type: "scroll", top: 0, formatter: function (name) { return name.length > 40 ? name.slice(0, 39) + "…" : name; },
                  tooltip: { show: true } },
        tooltip: { trigger: "axis", confine: true, formatter: function (points) {
          var lines = [escapeHtml(points[0].axisValue)];
          points.forEach(function (p) { if (p.value != null) { lines.push(p.marker + escapeHtml(p.seriesName) + ": <b>" + fmt(p.value) + "</b>"); } });
          return lines.join("<br>");
        } },
        xAxis: { type: "category", data: data.runs, axisLabel: { show: false }, name: "runs, oldest → newest", nameLocation: "middle", nameGap: 12 },
        yAxis: { type: "value", scale: true },
        dataZoom: [{ type: "slider", bottom: 8 }, { type: "inside" }],
        series: data.series.map(function (s) { return { name: s.name, type: "line", data: s.values, connectNulls: true, symbolSize: 5 }; })
      };
    },
    parallel: function (data) {
      var axes = data.axes.map(function (axis, i) {
        var spec = { dim: i, name: axis.name.length > 28 ? axis.name.slice(0, 27) + "…" : axis.name, type: axis.type,
                     nameTextStyle: { fontWeight: axis.kind === "metrics" ? "bold" : "normal" } };
        if (axis.type === "category") { spec.data = axis.categories; }
        else if (axis.log) { spec.type = "log"; }
        else { spec.scale = true; }
        return spec;
      });
      var last = data.axes.length - 1;
      var values = data.lines.map(function (l) { return l.values[last]; }).filter(function (x) { return typeof x === "number"; });
      var option = {
        parallel: { left: 70, right: 130, top: 50, bottom: 30, parallelAxisDefault: { nameLocation: "end", nameGap: 18, nameTextStyle: { fontSize: 11 } } },
        parallelAxis: axes,
        tooltip: { confine: true, formatter: function (p) { return escapeHtml(p.name); } },
        series: [{ type: "parallel", lineStyle: { width: 1.5, opacity: 0.6 }, emphasis: { lineStyle: { width: 3, opacity: 1 } },
                   data: data.lines.map(function (l) { return { name: l.run, value: l.values }; }) }]
      };
      if (data.axes[last].type === "value" && values.length) {
        option.visualMap = { type: "continuous", dimension: last, right: 8, top: "middle", itemHeight: 140, calculable: true,
                             min: Math.min.apply(null, values), max: Math.max.apply(null, values), precision: 3,
                             inRange: { color: ["#c93636", "#d08c00", "#2e8b57"] } };
      }
      return option;
    }
  };
  if (window.echarts) {
    var charts = document.querySelectorAll("[data-chart]");
    for (var c = 0; c < charts.length; c++) {
      var data = JSON.parse(charts[c].dataset.chart);
      var chart = window.echarts.init(charts[c], null, { renderer: "svg" });
      var option = builders[data.type](data);
      option.animation = false;  // drawn at once: what a screenshot or a quick look sees is the whole chart
      chart.setOption(option);
      charts[c].classList.add("drawn");
      window.addEventListener("resize", chart.resize);
    }
  }
})();
