/* Draws the dashboard's charts with the vendored ECharts from the JSON the page embeds
   (#dashboard-charts). The tables under each chart carry the same figures for readers without
   JavaScript or a screen reader. Redrawn after htmx swaps the figures in place. */
(function () {
  "use strict";
  var GRADE_COLOURS = { A: "#1a7f37", B: "#9a6700", C: "#57606a" };
  var charts = [];

  function money(value) {
    return Number(value).toLocaleString(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  }

  function options(kind, data) {
    var labels = data.labels;
    var tooltip = { trigger: "axis", valueFormatter: function (v) { return typeof v === "number" ? money(v) : v; } };
    if (kind === "distribution") {
      return {
        tooltip: { trigger: "axis" },
        legend: { data: [labels.accounts, labels.revenue12] },
        grid: { left: 60, right: 90, bottom: 30, top: 40 },
        xAxis: { type: "category", data: data.grades },
        yAxis: [{ type: "value", name: labels.accounts }, { type: "value", name: labels.revenue12, axisLabel: { formatter: function (v) { return (v / 1e4).toLocaleString() + "万"; } } }],
        series: [
          { name: labels.accounts, type: "bar", data: data.distribution.accounts.map(function (v, i) { return { value: v, itemStyle: { color: GRADE_COLOURS[data.grades[i]] } }; }) },
          { name: labels.revenue12, type: "line", yAxisIndex: 1, data: data.distribution.revenue, tooltip: { valueFormatter: money } }
        ]
      };
    }
    if (kind === "monthly") {
      return {
        tooltip: tooltip,
        legend: { data: [labels.revenue, labels.grossProfit] },
        grid: { left: 80, right: 20, bottom: 30, top: 40 },
        xAxis: { type: "category", data: data.monthly.months },
        yAxis: { type: "value" },
        series: [
          { name: labels.revenue, type: "line", smooth: true, data: data.monthly.revenue },
          { name: labels.grossProfit, type: "line", smooth: true, data: data.monthly.grossProfit }
        ]
      };
    }
    if (kind === "gradeTrend") {
      return {
        tooltip: { trigger: "axis" },
        legend: { data: data.grades },
        grid: { left: 60, right: 20, bottom: 30, top: 40 },
        xAxis: { type: "category", data: data.gradeTrend.periods },
        yAxis: { type: "value", name: labels.accounts },
        series: data.grades.map(function (grade, i) {
          return { name: grade, type: "line", data: data.gradeTrend.accounts[i], itemStyle: { color: GRADE_COLOURS[grade] }, lineStyle: { color: GRADE_COLOURS[grade] } };
        })
      };
    }
    if (kind === "quarterly") {
      return {
        tooltip: tooltip,
        legend: { data: [labels.revenue, labels.grossProfit] },
        grid: { left: 80, right: 20, bottom: 30, top: 40 },
        xAxis: { type: "category", data: data.quarterly.quarters },
        yAxis: { type: "value" },
        series: [
          { name: labels.revenue, type: "bar", data: data.quarterly.revenue },
          { name: labels.grossProfit, type: "bar", data: data.quarterly.grossProfit }
        ]
      };
    }
    return null;
  }

  function draw() {
    var source = document.getElementById("dashboard-charts");
    if (!source || !window.echarts) { return; }
    var data = JSON.parse(source.textContent);
    charts.forEach(function (chart) { chart.dispose(); });
    charts = [];
    document.querySelectorAll("[data-chart]").forEach(function (element) {
      var option = options(element.getAttribute("data-chart"), data);
      if (!option) { return; }
      element.style.display = "block";
      var chart = window.echarts.init(element, null, { renderer: "svg" });
      chart.setOption(option);
      charts.push(chart);
    });
  }

  document.addEventListener("DOMContentLoaded", draw);
  document.addEventListener("htmx:afterSettle", draw);
  window.addEventListener("resize", function () { charts.forEach(function (chart) { chart.resize(); }); });
})();
