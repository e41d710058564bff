/* Draws the dashboard's charts with the vendored ECharts from the JSON the page embeds
   (#dashboard-charts). The tables under each chart carry the same figures for readers without
   JavaScript or a screen reader. ECharts is fetched only when a chart comes into view (it is most of
   the page's weight), and the charts are redrawn after htmx swaps the figures in place.
   Colours come from kam.css (one colour per grade, light and dark), units from the page's language:
   万/亿 in Chinese, K/M in English. */
(function () {
  "use strict";
  var charts = [];
  var loading = null;

  function css(name) {
    return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  }
  function chinese() {
    return (document.documentElement.lang || "").toLowerCase().indexOf("zh") === 0;
  }
  function locale() {
    return chinese() ? "zh-CN" : "en";
  }
  function money(value) {
    if (value === null || value === undefined || value === "-") return "—";
    return Number(value).toLocaleString(locale(), { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  }
  // Axis labels: 6,570,000 is 657万 in Chinese and 6.57M in English.
  function compact(value) {
    var v = Number(value), abs = Math.abs(v), n = function (x) { return x.toLocaleString(locale(), { maximumFractionDigits: 2 }); };
    if (chinese()) {
      if (abs >= 1e8) return n(v / 1e8) + "亿";
      if (abs >= 1e4) return n(v / 1e4) + "万";
      return n(v);
    }
    if (abs >= 1e9) return n(v / 1e9) + "B";
    if (abs >= 1e6) return n(v / 1e6) + "M";
    if (abs >= 1e3) return n(v / 1e3) + "K";
    return n(v);
  }

  function theme() {
    var text = css("--pico-color") || "#373c44", muted = css("--pico-muted-color") || "#646b79";
    var line = css("--pico-muted-border-color") || "#e7eaf0";
    return {
      grades: { A: css("--kam-a"), B: css("--kam-b"), C: css("--kam-c") },
      series: [css("--kam-focus") || "#0b57d0", css("--kam-b")],
      text: text,
      axis: { axisLabel: { color: muted }, nameTextStyle: { color: muted }, axisLine: { lineStyle: { color: line } }, splitLine: { lineStyle: { color: line } } }
    };
  }

  function valueAxis(t, name, extra) {
    return Object.assign({ type: "value", name: name, nameGap: 14, axisLabel: { color: t.axis.axisLabel.color, formatter: compact } }, { nameTextStyle: t.axis.nameTextStyle, axisLine: t.axis.axisLine, splitLine: t.axis.splitLine }, extra || {});
  }
  function categoryAxis(t, data) {
    return { type: "category", data: data, axisLabel: t.axis.axisLabel, axisLine: t.axis.axisLine };
  }

  function options(kind, data) {
    var t = theme(), labels = data.labels;
    // The legend sits above the plot, the axis names inside the top margin: they never overlap.
    var base = {
      textStyle: { color: t.text },
      legend: { top: 0, textStyle: { color: t.text } },
      grid: { left: 8, right: 8, bottom: 8, top: 64, containLabel: true },
      tooltip: { trigger: "axis", valueFormatter: money }
    };
    if (kind === "distribution") {
      // Bars take their grade's colour, so the legend names only the line (a single legend colour
      // for three bar colours would not match any of them).
      return Object.assign(base, {
        legend: { top: 0, data: [labels.revenue12], textStyle: { color: t.text } },
        xAxis: categoryAxis(t, data.grades),
        yAxis: [valueAxis(t, labels.accounts, { axisLabel: { color: t.axis.axisLabel.color } }), valueAxis(t, labels.revenue12)],
        tooltip: { trigger: "axis" },
        series: [
          { name: labels.accounts, type: "bar", data: data.distribution.accounts.map(function (v, i) { return { value: v, itemStyle: { color: t.grades[data.grades[i]] } }; }) },
          { name: labels.revenue12, type: "line", yAxisIndex: 1, data: data.distribution.revenue, itemStyle: { color: t.series[0] }, lineStyle: { color: t.series[0] }, tooltip: { valueFormatter: money } }
        ]
      });
    }
    if (kind === "monthly" || kind === "quarterly") {
      var source = data[kind], bar = kind === "quarterly";
      return Object.assign(base, {
        legend: { top: 0, data: [labels.revenue, labels.grossProfit], textStyle: { color: t.text } },
        xAxis: categoryAxis(t, bar ? source.quarters : source.months),
        yAxis: valueAxis(t, ""),
        series: [
          { name: labels.revenue, type: bar ? "bar" : "line", smooth: !bar, data: source.revenue, itemStyle: { color: t.series[0] }, lineStyle: { color: t.series[0] } },
          { name: labels.grossProfit, type: bar ? "bar" : "line", smooth: !bar, data: source.grossProfit, itemStyle: { color: t.series[1] }, lineStyle: { color: t.series[1] } }
        ]
      });
    }
    if (kind === "gradeTrend") {
      // Months before the first grading are null: no point is drawn, not a zero.
      return Object.assign(base, {
        legend: { top: 0, data: data.grades, textStyle: { color: t.text } },
        tooltip: { trigger: "axis" },
        xAxis: categoryAxis(t, data.gradeTrend.periods),
        yAxis: valueAxis(t, labels.accounts),
        series: data.grades.map(function (grade, i) {
          return { name: grade, type: "line", connectNulls: false, data: data.gradeTrend.accounts[i], itemStyle: { color: t.grades[grade] }, lineStyle: { color: t.grades[grade] } };
        })
      });
    }
    return null;
  }

  function loadECharts() {
    if (window.echarts) return Promise.resolve();
    if (loading) return loading;
    var src = document.getElementById("kam-dashboard-js").getAttribute("data-echarts");
    loading = new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = src;
      script.onload = resolve;
      script.onerror = reject;
      document.head.appendChild(script);
    });
    return loading;
  }

  function drawOne(element, data) {
    var option = options(element.getAttribute("data-chart"), data);
    if (!option) return;
    var chart = window.echarts.init(element, null, { renderer: "svg" });
    chart.setOption(option);
    charts.push(chart);
  }

  function draw() {
    var source = document.getElementById("dashboard-charts");
    if (!source) return;
    var data = JSON.parse(source.textContent);
    charts.forEach(function (chart) { chart.dispose(); });
    charts = [];
    var elements = document.querySelectorAll("[data-chart]");
    if (!("IntersectionObserver" in window)) {
      loadECharts().then(function () { elements.forEach(function (e) { drawOne(e, data); }); });
      return;
    }
    var observer = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        if (!entry.isIntersecting) return;
        observer.unobserve(entry.target);
        loadECharts().then(function () { drawOne(entry.target, data); });
      });
    }, { rootMargin: "200px" });
    elements.forEach(function (element) { observer.observe(element); });
  }

  document.addEventListener("DOMContentLoaded", draw);
  document.addEventListener("htmx:afterSettle", function (event) {
    if (event.detail.target && event.detail.target.id === "dashboard-figures") draw();
  });
  window.addEventListener("resize", function () { charts.forEach(function (chart) { chart.resize(); }); });
  if (window.matchMedia) {
    window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", draw);
  }
})();
