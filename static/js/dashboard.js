// The home page's charts: uPlot (static/vendor/uplot) draws each [data-chart] element from the
// JSON next to it, on the first load and after every htmx swap of the polled dashboard.
(function () {
  "use strict";

  var SYNCED = "#0969da";
  var FAILED = "#bc4c00";

  function draw(el) {
    if (el.dataset.drawn || typeof uPlot === "undefined") return;
    var source = document.getElementById(el.dataset.chart);
    if (!source) return;
    var data = JSON.parse(source.textContent);
    var xs = data.labels.map(function (_, i) { return i; });
    var bars = function (align) { return uPlot.paths.bars({ size: [0.4, 24], align: align }); };
    var opts = {
      width: Math.max(240, el.clientWidth || 320),
      height: 150,
      legend: { show: false },
      cursor: { show: false },
      scales: { x: { time: false, range: [-0.5, xs.length - 0.5] } },
      axes: [
        {
          incrs: [1, 2, 3, 4, 6, 12],
          space: 36,
          values: function (u, splits) {
            // "Thu 03" -> "Thu" on the axis (the data table keeps the date).
            return splits.map(function (i) { return data.labels[i] === undefined ? "" : data.labels[i].split(" ")[0]; });
          },
        },
        { incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 100000] },
      ],
      series: [
        {},
        { label: "Synced", stroke: SYNCED, fill: SYNCED, paths: bars(-1), points: { show: false } },
        { label: "Failed", stroke: FAILED, fill: FAILED, paths: bars(1), points: { show: false } },
      ],
    };
    new uPlot(opts, [xs, data.synced, data.failed], el);
    el.dataset.drawn = "1";
  }

  function drawAll(root) {
    (root.querySelectorAll ? root : document).querySelectorAll("[data-chart]").forEach(draw);
  }

  // A poll answered by another page (the session ended: the login page) must not be swapped
  // into the dashboard; load the page instead, which shows the login.
  document.addEventListener("htmx:beforeSwap", function (evt) {
    var xhr = evt.detail.xhr;
    var target = evt.detail.target;
    if (!target || target.id !== "dashboard" || !xhr || !xhr.responseURL) return;
    var asked = new URL(target.getAttribute("hx-get"), window.location.href).pathname;
    if (new URL(xhr.responseURL).pathname !== asked) {
      evt.detail.shouldSwap = false;
      window.location.reload();
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    drawAll(document);
    if (window.htmx) htmx.onLoad(drawAll);
  });
})();
