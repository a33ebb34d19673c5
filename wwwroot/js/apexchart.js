// The one bridge between the console's ApexChart component and ApexCharts (served from lib/apexcharts).
// Each chart keeps its series here, so live points are appended and the window trimmed without a Blazor re-render.

const charts = new WeakMap();

const usd = (v) => {
  if (v === null || v === undefined) return "";
  const a = Math.abs(v);
  if (a === 0) return "$0";
  if (a < 0.01) return "$" + v.toFixed(6);
  if (a < 100) return "$" + v.toFixed(4);
  return "$" + v.toLocaleString("en-US", { maximumFractionDigits: 0 });
};

const formatters = {
  usd,
  ms: (v) => (v === null || v === undefined ? "" : Math.round(v).toLocaleString("en-US") + " ms"),
  percent: (v) => (v === null || v === undefined ? "" : (v * 100).toFixed(1) + " %"),
  count: (v) => (v === null || v === undefined ? "" : Math.round(v).toLocaleString("en-US")),
};

function toSeries(config, series) {
  if (config.type === "donut") {
    return series.map((s) => (s.data.length > 0 ? s.data[0].y : 0));
  }
  if (config.type === "bar") {
    return series.map((s) => ({ name: s.name, data: s.data.map((p) => p.y) }));
  }
  return series.map((s) => ({ name: s.name, data: s.data.map((p) => [p.x, p.y]) }));
}

// A line needs two points, so a value with no value on either side (traffic in one bucket among empty ones: a latency,
// a rate) would not show at all: it gets a marker of its own. data: the chart's series as [x, y] pairs.
function lonePoints(config, data) {
  const marks = [];
  const missing = (p) => !p || p[1] === null || p[1] === undefined;
  data.forEach((s, seriesIndex) => s.data.forEach((p, dataPointIndex) => {
    if (missing(p) || !missing(s.data[dataPointIndex - 1]) || !missing(s.data[dataPointIndex + 1])) return;
    const mark = { seriesIndex, dataPointIndex, size: 4 };
    if (config.colors && config.colors.length) {
      const color = config.colors[seriesIndex % config.colors.length];
      Object.assign(mark, { fillColor: color, strokeColor: color });
    }
    marks.push(mark);
  }));
  return marks;
}

// The markers of a line or area chart for its data: share charts mark every point (single points are gates), turns are
// marked, a similarity's single point is the one chosen; time lines mark only their lone points.
function markers(config, data) {
  if (config.xAxis === "share") return { size: 5 };
  if (config.xAxis === "turn") return { size: 3 };
  if (config.xAxis === "similarity") return { size: data.map((s) => (s.data.length === 1 ? 7 : 0)) };
  return { size: 0, discrete: lonePoints(config, data) };
}

// A line or area chart takes new data with its markers worked out again for it (a lone point may have come or gone), in
// one redraw. Their showing does not wait for an animation to end: see .cc-chart in app.css.
function redraw(state) {
  return state.chart.updateOptions({ series: state.data, markers: markers(state.config, state.data) }, false, false);
}

function build(config, series) {
  const format = formatters[config.format] || formatters.count;
  const options = {
    chart: {
      type: config.type,
      height: config.height,
      stacked: !!config.stacked,
      animations: { enabled: false },
      toolbar: { show: false },
      zoom: { enabled: false },
      foreColor: "#8a8f98",
      background: "transparent",
      fontFamily: "system-ui, -apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif",
    },
    series: toSeries(config, series),
    dataLabels: { enabled: false },
    legend: { position: "bottom" },
    noData: { text: config.noData || "No data in this range" },
    tooltip: { y: { formatter: format }, x: { format: "yyyy-MM-dd HH:mm:ss" } },
  };
  // ApexCharts merges these over its defaults: a key set to undefined would wipe a default, so keys are only added when used.
  if (config.colors && config.colors.length) options.colors = config.colors;
  if (config.type === "donut") {
    options.labels = series.map((s) => s.name);
    options.plotOptions = { pie: { donut: { labels: { show: true, total: { show: true, label: config.totalLabel || "Total", formatter: (w) => format(w.globals.seriesTotals.reduce((a, b) => a + b, 0)) } } } } };
  } else if (config.type === "bar") {
    options.plotOptions = { bar: { horizontal: true, barHeight: "60%" } };
    options.xaxis = { categories: config.categories || [], labels: { formatter: format }, min: 0 };
    if (config.format === "count") {
      // Whole counts: a small maximum gets one tick per unit instead of repeated rounded labels (0 1 1 2 2 …).
      const max = Math.max(0, ...series.flatMap((s) => s.data.map((p) => p.y || 0)));
      if (max > 0 && max <= 10) {
        options.xaxis.max = Math.ceil(max);
        options.xaxis.tickAmount = Math.ceil(max);
      }
    }
    options.grid = { borderColor: "rgba(128,128,128,0.2)" };
    options.tooltip = { y: { formatter: format } };
  } else {
    options.stroke = { curve: "straight", width: config.type === "area" ? 1 : 2 };
    if (config.type === "area") options.fill = { type: "solid", opacity: 0.55 };
    options.xaxis = { type: "datetime", labels: { datetimeUTC: true } };
    options.yaxis = { labels: { formatter: format }, min: 0 };
    // A share never goes past 100 %, and a flat zero line still gets a readable scale.
    if (config.format === "percent") options.yaxis.max = (max) => Math.min(1, Math.max(max * 1.1, 0.05));
    options.markers = markers(config, toSeries(config, series));
    options.grid = { borderColor: "rgba(128,128,128,0.2)" };
    if (config.xAxis === "share") {
      // x in tenths of a per cent: quality against the share escalated; single points are gates, lines are curves (see markers).
      const share = (v) => (v / 10).toFixed(v % 10 === 0 ? 0 : 1) + " %";
      options.xaxis = { type: "numeric", min: 0, max: 1000, tickAmount: 10, labels: { formatter: share } };
      options.tooltip = { y: { formatter: format }, x: { formatter: (v) => share(v) + " " + (config.xLabel || "escalated") } };
      if (config.xLabel) options.xaxis.title = { text: "Share " + config.xLabel };
    } else if (config.xAxis === "turn") {
      // A conversation's turns, numbered from 1: whole numbers on the axis, "Turn n" in the tooltip.
      options.xaxis = { type: "numeric", decimalsInFloat: 0, labels: { formatter: (v) => String(Math.round(v)) } };
      options.tooltip = { y: { formatter: format }, x: { formatter: (v) => "Turn " + Math.round(v) } };
    } else if (config.xAxis === "similarity") {
      // x in hundredths of a similarity: lines are curves over the threshold, a single point is the one chosen.
      const similarity = (v) => (v / 100).toFixed(2);
      options.xaxis = { type: "numeric", min: 0, max: 100, tickAmount: 10, labels: { formatter: similarity } };
      options.tooltip = { y: { formatter: format }, x: { formatter: (v) => (config.xLabel || "threshold") + " " + similarity(v) } };
    }
    const title = (text) => ({ text, style: { fontWeight: 500, color: "#8a8f98" } });
    if (config.yTitle) options.yaxis.title = title(config.yTitle);
    if (config.xTitle) options.xaxis.title = title(config.xTitle);
  }
  return options;
}

export function create(element, config, series) {
  // The page may have been left while the chart was on its way: its element is gone, and there is nothing to draw.
  if (!(element instanceof Element)) return;
  destroy(element);
  const chart = new ApexCharts(element, build(config, series));
  const state = { chart, config, data: series.map((s) => ({ name: s.name, data: s.data.map((p) => [p.x, p.y]) })) };
  charts.set(element, state);
  element.setAttribute("data-points", String(countPoints(state)));
  return chart.render();
}

export function update(element, series) {
  const state = charts.get(element);
  if (!state) return;
  state.data = series.map((s) => ({ name: s.name, data: s.data.map((p) => [p.x, p.y]) }));
  if (state.config.type === "donut") {
    state.chart.updateOptions({ labels: series.map((s) => s.name) }, false, false);
    state.chart.updateSeries(toSeries(state.config, series), false);
  } else if (state.config.type === "bar") {
    state.chart.updateSeries(toSeries(state.config, series), false);
  } else {
    redraw(state);
  }
  element.setAttribute("data-points", String(countPoints(state)));
}

// points: one array per series (matched by name) of {x, y}; points older than windowMs before the newest are dropped.
export function append(element, points, windowMs) {
  const state = charts.get(element);
  if (!state) return;
  for (const incoming of points) {
    let target = state.data.find((s) => s.name === incoming.name);
    if (!target) {
      target = { name: incoming.name, data: [] };
      state.data.push(target);
    }
    for (const p of incoming.data) target.data.push([p.x, p.y]);
  }
  if (windowMs > 0) {
    const newest = Math.max(...state.data.map((s) => (s.data.length ? s.data[s.data.length - 1][0] : 0)));
    for (const s of state.data) {
      while (s.data.length && s.data[0][0] <= newest - windowMs) s.data.shift();
    }
  }
  redraw(state);
  element.setAttribute("data-points", String(countPoints(state)));
}

export function destroy(element) {
  const state = charts.get(element);
  if (state) {
    state.chart.destroy();
    charts.delete(element);
  }
}

function countPoints(state) {
  return state.data.reduce((n, s) => n + s.data.length, 0);
}
