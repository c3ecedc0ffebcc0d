// Best value so far by trial, and parallel coordinates over the sampled hyperparams.
const NS = "http://www.w3.org/2000/svg", H = 240;
const CSS = `.wb-charts{display:flex;flex-wrap:wrap;gap:10px;font:11px var(--jp-ui-font-family,sans-serif)}
.wb-charts svg text{fill:var(--jp-ui-font-color1,#222);font-size:11px}
.wb-charts .wb-axis{stroke:var(--jp-border-color1,#999)}.wb-charts .wb-gridline{stroke:var(--jp-border-color2,#e0e0e0)}
.wb-charts .wb-best-line{fill:none;stroke:var(--jp-brand-color1,#1976d2);stroke-width:2}
.wb-charts .wb-dot-complete{fill:var(--jp-brand-color1,#1976d2);stroke:var(--jp-layout-color0,#fff);stroke-width:.75}
.wb-charts .wb-dot-pruned{fill:none;stroke:#b26a00;stroke-width:1.5}
.wb-charts .wb-trial-line{fill:none;stroke-width:1.4;opacity:.75}.wb-charts .wb-trial-pruned{stroke:#999;stroke-dasharray:3 3;opacity:.6}
.wb-charts .wb-chart-title{font-weight:600}.wb-charts .wb-note{fill:var(--jp-ui-font-color2,#777)}`;

function node(tag, attrs, parent, text) {
  const el = document.createElementNS(NS, tag);
  for (const k in attrs) el.setAttribute(k, attrs[k]);
  if (text !== undefined) el.textContent = text;
  if (parent) parent.appendChild(el);
  return el;
}
const fmt = (v) => (typeof v !== "number" ? String(v) : Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(1) : +v.toPrecision(3) + "");
let ruler = null;
function textWidth(text) {
  ruler = ruler || document.createElement("canvas").getContext("2d");
  ruler.font = "11px sans-serif";
  return ruler.measureText(text).width * 1.08; // a little over: fonts differ between themes
}
// ``text`` cut to ``room`` pixels: the start kept (a step's or a hyperparameter's name), then "…".
function fit(text, room) {
  if (textWidth(text) <= room) return text;
  let n = text.length;
  while (n > 1 && textWidth(text.slice(0, n) + "…") > room) n--;
  return text.slice(0, n) + "…";
}
// An axis label in two lines, the step's path then the hyperparameter (``scale`` / ``with_mean``),
// each cut to ``room`` pixels, so that labels of neighbouring axes never overlap.
export function axisLabel(path, log, room) {
  const parts = path.split("__"), name = parts.pop() + (log ? " (log)" : "");
  return [fit(parts.join("__"), room), fit(name, room)];
}
function nice(lo, hi) {
  const span = hi - lo || 1, mag = Math.pow(10, Math.floor(Math.log10(span / 5)));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((st) => span / st <= 6);
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(+v.toPrecision(12));
  return out;
}

function bestChart(data, width) {
  const svg = node("svg", { width, height: H, class: "wb-best-chart" });
  node("text", { x: 8, y: 14, class: "wb-chart-title" }, svg, "Best value so far");
  const done = data.trials.filter((t) => t.value !== null && (t.state === "complete" || t.state === "pruned"));
  if (!done.length) { node("text", { x: width / 2, y: H / 2, "text-anchor": "middle", class: "wb-note" }, svg, "no trial with a value yet"); return svg; }
  const L = 50, R = 10, T = 24, B = 34;
  const xs = data.trials.map((t) => t.number), vs = done.map((t) => t.value);
  let x0 = Math.min(...xs), x1 = Math.max(...xs), y0 = Math.min(...vs), y1 = Math.max(...vs);
  if (x1 === x0) { x0 -= 1; x1 += 1; }
  if (y1 === y0) { y0 -= Math.abs(y0) * 0.05 || 0.5; y1 += Math.abs(y1) * 0.05 || 0.5; }
  const X = (x) => L + ((x - x0) / (x1 - x0)) * (width - L - R), Y = (y) => T + (1 - (y - y0) / (y1 - y0)) * (H - T - B);
  for (const v of nice(y0, y1)) {
    node("line", { x1: L, x2: width - R, y1: Y(v), y2: Y(v), class: "wb-gridline" }, svg);
    node("text", { x: L - 4, y: Y(v) + 4, "text-anchor": "end" }, svg, fmt(v));
  }
  node("text", { x: (L + width - R) / 2, y: H - 3, "text-anchor": "middle", class: "wb-note" }, svg, "trial");
  for (const v of nice(x0, x1).filter(Number.isInteger)) node("text", { x: X(v), y: H - B + 14, "text-anchor": "middle" }, svg, fmt(v));
  // the best so far is the store's (data.best_so_far: [trial, best value] pairs): drawn, not decided
  const d = (data.best_so_far || []).map(([n, v], i) => `${i ? "L" : "M"}${X(n).toFixed(1)},${Y(v).toFixed(1)}`).join("");
  for (const t of done) {
    const c = node("circle", { cx: X(t.number), cy: Y(t.value), r: 3.5, class: `wb-dot-${t.state}` }, svg);
    node("title", {}, c, `trial ${t.number} (${t.state}): ${fmt(t.value)}`);
  }
  node("path", { d, class: "wb-best-line" }, svg);
  return svg;
}

function scaleOf(axis, trials) {
  if (axis.kind === "categorical") {
    const choices = axis.choices.length ? axis.choices : [...new Set(trials.map((t) => t.params[axis.path]).filter((v) => v !== undefined))];
    const n = Math.max(choices.length - 1, 1);
    const labels = axis.labels || choices.map(fmt);
    return { ticks: choices.map((c, i) => [i / n, labels[i]]), at: (v) => { const i = choices.findIndex((c) => c === v); return i < 0 ? null : i / n; } };
  }
  const f = axis.log ? Math.log10 : (v) => v;
  const lo = f(axis.low), hi = f(axis.high), span = hi - lo || 1;
  const at = (v) => (typeof v === "number" && (!axis.log || v > 0) ? (f(v) - lo) / span : null);
  const ticks = [[0, fmt(axis.low)], [1, fmt(axis.high)]];
  if (axis.log) for (let p = Math.ceil(lo); p <= Math.floor(hi); p++) if ((p - lo) / span > 0.08 && (hi - p) / span > 0.08) ticks.push([(p - lo) / span, fmt(Math.pow(10, p))]);
  return { ticks, at };
}

function parallel(data, width) {
  const svg = node("svg", { width, height: H, class: "wb-parallel" });
  node("text", { x: 8, y: 14, class: "wb-chart-title" }, svg, "Hyperparameters of each trial (colour: value, orange is best)");
  const trials = data.trials.filter((t) => t.state === "complete" || t.state === "pruned");
  const values = trials.filter((t) => t.value !== null).map((t) => t.value);
  const axes = [...data.axes, { path: "value", kind: "float", log: false, low: Math.min(...values), high: Math.max(...values), choices: [] }];
  if (!trials.length || !values.length) { node("text", { x: width / 2, y: H / 2, "text-anchor": "middle", class: "wb-note" }, svg, "no trial with a value yet"); return svg; }
  const last = axes[axes.length - 1];
  if (last.high === last.low) { const pad = Math.abs(last.low) * 0.05 || 0.5; last.low -= pad; last.high += pad; }
  const T = 52, B = 22, L = 60, R = 60, step = (width - L - R) / Math.max(axes.length - 1, 1);
  const room = Math.min(step - 10, 2 * L - 4);
  const scales = axes.map((a) => scaleOf(a, trials));
  const Y = (u) => H - B - u * (H - T - B);
  axes.forEach((a, i) => {
    const x = L + i * step;
    node("line", { x1: x, x2: x, y1: T, y2: H - B, class: "wb-axis" }, svg);
    const [head, name] = axisLabel(a.path, a.log, room);
    const label = node("text", { x, y: T - 22, "text-anchor": "middle", class: "wb-axis-label" }, svg);
    if (head) node("tspan", { x, dy: 0, class: "wb-note" }, label, head);
    node("tspan", { x, y: T - 9 }, label, name);
    node("title", {}, label, a.path + (a.log ? ", log scale" : ""));
    for (const [u, text] of scales[i].ticks) node("text", { x: x + 4, y: Y(u) + 4, class: "wb-note" }, svg, text);
  });
  const vmin = axes[axes.length - 1].low, vmax = axes[axes.length - 1].high;
  for (const t of trials) {
    let d = "", pen = "M";
    axes.forEach((a, i) => {
      const u = scales[i].at(a.path === "value" ? t.value : t.params[a.path]);
      if (u === null) { pen = "M"; return; }
      d += `${pen}${(L + i * step).toFixed(1)},${Y(u).toFixed(1)}`; pen = "L";
    });
    let q = t.value === null ? 0 : (t.value - vmin) / (vmax - vmin || 1);
    if (data.direction === "minimize") q = 1 - q;
    const hue = 220 - 190 * q; // blue (worse) to orange (better)
    const p = node("path", { d, class: "wb-trial-line" + (t.state === "pruned" ? " wb-trial-pruned" : "") }, svg);
    if (t.state !== "pruned") p.setAttribute("stroke", `hsl(${hue},75%,50%)`);
    node("title", {}, p, `trial ${t.number} (${t.state}): ${t.value === null ? "–" : fmt(t.value)}`);
  }
  return svg;
}

function render({ model, el }) {
  const root = document.createElement("div");
  root.className = "wb-charts";
  const style = document.createElement("style");
  style.textContent = CSS;
  el.append(style, root);
  const draw = () => {
    const data = model.get("data"), full = root.clientWidth || 800;
    const width = Math.max(300, Math.floor(full / 2) - 10);
    root.replaceChildren(bestChart(data, Math.min(width, 420)), parallel(data, Math.max(width, full - Math.min(width, 420) - 14)));
  };
  model.on("change:data", draw);
  const resize = new ResizeObserver(() => draw());
  resize.observe(root);
  draw();
  return () => { resize.disconnect(); model.off("change:data", draw); };
}

export default { render };
