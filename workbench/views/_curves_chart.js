// Learning curves: one small SVG chart per statistic; the kernel sends only new points.
const PALETTE = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#b8860b",
  "#b07aa1", "#d37295", "#9c755f", "#7f7f7f"]; // readable on light and dark backgrounds
const H = 230, M = { l: 54, r: 14, t: 8, b: 32 }, LANE = 14, NS = "http://www.w3.org/2000/svg";
const SEQ = 100; // SEQ_MODULUS in _curves.py
let ruler = null;

function textWidth(text) {
  ruler = ruler || document.createElement("canvas").getContext("2d");
  ruler.font = "11px sans-serif";
  return ruler.measureText(text).width;
}

function fmt(v) {
  if (v === 0) return "0";
  const a = Math.abs(v);
  return a >= 1e4 || a < 1e-3 ? v.toExponential(1) : +v.toPrecision(4) + "";
}

function ticks(lo, hi, log) {
  if (log) {
    const out = [];
    for (let p = Math.floor(lo); p <= Math.ceil(hi); p++) if (p >= lo - 1e-9 && p <= hi + 1e-9) out.push(p);
    if (out.length >= 2) return out;
    // less than a decade: round values, placed on the log scale
    return ticks(Math.pow(10, lo), Math.pow(10, hi), false).filter((v) => v > 0).map(Math.log10);
  }
  const span = hi - lo || 1, raw = span / 5, mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => span / s <= 6);
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(+v.toPrecision(12));
  return out;
}

function node(tag, attrs, parent, text) {
  const el = document.createElementNS(NS, tag);
  for (const k in attrs) el.setAttribute(k, attrs[k]);
  if (text !== undefined) el.textContent = text;
  if (parent) parent.appendChild(el);
  return el;
}

// Greedy lanes: a label goes to the first lane whose last label ends left of it.
export function placeLabels(items) {
  const ends = [];
  return items.map((it) => {
    let lane = ends.findIndex((end) => end + 6 <= it.left);
    if (lane < 0) { lane = ends.length; ends.push(0); }
    ends[lane] = it.left + it.width;
    return lane;
  });
}

function apply(data, msg) {
  for (const s of msg.new || []) data.series.push({ ...s, x: [], y: [] });
  const byId = new Map(data.series.map((s) => [s.id, s]));
  for (const [id, xs, ys] of msg.pts || []) {
    const s = byId.get(id);
    // a number: consecutive epochs, the first that many after the last one drawn
    let x = typeof xs === "number" ? (s.x.length ? s.x[s.x.length - 1] : 0) + xs : null;
    for (let i = 0; i < ys.length; i++) { s.x.push(x === null ? xs[i] : x++); s.y.push(ys[i]); }
  }
  for (const seg of msg.seg || []) data.segments.push(seg);
  for (const run of msg.runs || []) {
    const known = data.runs.find((r) => r.name === run.name);
    if (known) Object.assign(known, run); else data.runs.push(run);
  }
  if (msg.message !== undefined) data.message = msg.message;
  data.seq += 1;
}

function panel(stat, series, data, log, width, colors) {
  const svg = node("svg", { width, height: H, class: "wb-panel" });
  const pts = [];
  for (const s of series) for (let i = 0; i < s.x.length; i++) {
    const y = s.y[i];
    if (y !== null && isFinite(y) && (!log || y > 0)) pts.push([s.x[i], log ? Math.log10(y) : y]);
  }
  const segs = data.segments;
  const labels = segs.map((g) => ({ g, text: g.label.length > 42 ? g.label.slice(0, 41) + "…" : g.label }));
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (const [x, y] of pts) { x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y); }
  for (const g of segs) x0 = Math.min(x0, g.x);
  if (!pts.length) { node("text", { x: width / 2, y: H / 2, class: "wb-empty", "text-anchor": "middle" }, svg, log ? "no positive values for a log axis" : "no points yet"); return svg; }
  if (x1 <= x0) { x0 -= 1; x1 += 1; }
  if (y1 - y0 < 1e-12) { y0 -= log ? 0.5 : Math.abs(y0) * 0.05 || 0.5; y1 += log ? 0.5 : Math.abs(y1) * 0.05 || 0.5; }
  const pad = (y1 - y0) * 0.04; y0 -= pad; y1 += pad;
  const X = (x) => M.l + ((x - x0) / (x1 - x0)) * (width - M.l - M.r);
  // mutation labels first: they decide the top margin
  const placed = placeLabels(labels.map((l) => ({ left: Math.max(M.l, X(l.g.x - 0.5)) + 3, width: textWidth(l.text) })));
  const top = M.t + (segs.length ? (Math.max(...placed) + 1) * LANE : 0);
  const Y = (y) => top + (1 - (y - y0) / (y1 - y0)) * (H - top - M.b);
  const axes = node("g", { class: "wb-axes" }, svg);
  for (const t of ticks(y0, y1, log)) {
    node("line", { x1: M.l, x2: width - M.r, y1: Y(t), y2: Y(t), class: "wb-grid" }, axes);
    node("text", { x: M.l - 5, y: Y(t) + 4, "text-anchor": "end" }, axes, fmt(log ? Math.pow(10, t) : t));
  }
  for (const t of ticks(x0, x1, false).filter((t) => Number.isInteger(t))) {
    node("text", { x: X(t), y: H - M.b + 15, "text-anchor": "middle" }, axes, fmt(t));
  }
  node("rect", { x: M.l, y: top, width: width - M.l - M.r, height: H - top - M.b, class: "wb-frame" }, axes);
  node("text", { x: (M.l + width - M.r) / 2, y: H - 3, "text-anchor": "middle", class: "wb-axis-title" }, axes, data.x_label || "epoch");
  node("text", { x: 12, y: (top + H - M.b) / 2, "text-anchor": "middle", class: "wb-axis-title", transform: `rotate(-90 12 ${(top + H - M.b) / 2})` }, axes, stat + (log ? " (log)" : ""));
  labels.forEach((l, i) => {
    const x = Math.max(M.l, X(l.g.x - 0.5));
    node("line", { x1: x, x2: x, y1: top, y2: H - M.b, class: "wb-mutation" }, svg);
    const t = node("text", { x: x + 3, y: M.t + placed[i] * LANE + 10, class: "wb-mutation-label" }, svg, l.text);
    node("title", {}, t, `${l.g.run}, epoch ${l.g.x}: ${l.g.label}`);
  });
  for (const s of series) {
    let d = "", pen = "M", stretch = [];
    const lone = []; // points with no drawn neighbour (one epoch): a line would draw nothing
    const end = () => { if (stretch.length === 1) lone.push(stretch[0]); stretch = []; };
    for (let i = 0; i < s.x.length; i++) {
      const y = s.y[i];
      if (y === null || !isFinite(y) || (log && y <= 0)) { pen = "M"; end(); continue; }
      const px = X(s.x[i]), py = Y(log ? Math.log10(y) : y);
      d += `${pen}${px.toFixed(1)},${py.toFixed(1)}`; pen = "L"; stretch.push([px, py]);
    }
    end();
    const run = data.runs.find((r) => r.name === s.run) || {};
    const cls = `wb-line wb-${s.split}` + (run.state && run.state !== "complete" && run.state !== "running" ? " wb-ended" : "");
    const path = node("path", { d, class: cls, stroke: colors.get(s.run) }, svg);
    node("title", {}, path, `${s.run} · ${s.split} ${stat}`);
    for (const [cx, cy] of lone) {
      const dot = node("circle", { cx, cy, r: 3.5, class: `wb-point wb-point-${s.split}`, stroke: colors.get(s.run), fill: s.split === "train" ? "none" : colors.get(s.run) }, svg);
      node("title", {}, dot, `${s.run} · ${s.split} ${stat}`);
    }
    const last = s.x.length - 1;
    if (run.state === "pruned" && last >= 0 && s.y[last] !== null && (!log || s.y[last] > 0)) {
      const cx = X(s.x[last]), cy = Y(log ? Math.log10(s.y[last]) : s.y[last]);
      node("path", { d: `M${cx - 4},${cy - 4}L${cx + 4},${cy + 4}M${cx - 4},${cy + 4}L${cx + 4},${cy - 4}`, class: "wb-pruned", stroke: colors.get(s.run) }, svg);
    }
  }
  return svg;
}

function paint(root, data, model) {
  const log = model.get("log_y");
  const full = root.clientWidth || root.parentElement?.clientWidth || 700; // before emptying it
  root.textContent = "";
  const head = document.createElement("div");
  head.className = "wb-head";
  if (data.title) { const t = document.createElement("b"); t.textContent = data.title; head.appendChild(t); }
  const colors = new Map(data.runs.map((r, i) => [r.name, PALETTE[i % PALETTE.length]]));
  const legend = document.createElement("span");
  legend.className = "wb-legend";
  const splits = new Set(data.series.map((s) => s.split));
  legend.innerHTML = (splits.has("train") ? '<span class="wb-key"><svg width="22" height="8"><path class="wb-line wb-train" d="M1,4L21,4"/></svg>train</span>' : "")
    + (splits.has("valid") ? '<span class="wb-key"><svg width="22" height="8"><path class="wb-line wb-valid" d="M1,4L21,4"/></svg>valid</span>' : "");
  const shown = data.runs.length > 1 ? data.runs.slice(0, 24) : [];
  for (const r of shown) {
    const k = document.createElement("span");
    k.className = "wb-key wb-run" + (r.state === "pruned" ? " wb-run-pruned" : r.state === "fail" ? " wb-run-fail" : "");
    k.innerHTML = `<i style="background:${colors.get(r.name)}"></i>`;
    k.appendChild(document.createTextNode(r.name + (r.state === "pruned" ? " ×" : r.state === "fail" ? " !" : "")));
    k.title = `${r.name}: ${r.state || "running"}`;
    legend.appendChild(k);
  }
  if (data.runs.length > shown.length && shown.length) legend.appendChild(document.createTextNode(` +${data.runs.length - shown.length} more`));
  head.appendChild(legend);
  const toggle = document.createElement("label");
  toggle.className = "wb-log";
  const box = document.createElement("input");
  box.type = "checkbox"; box.checked = log;
  box.onchange = () => { model.set("log_y", box.checked); model.save_changes(); };
  toggle.append(box, " log y");
  head.appendChild(toggle);
  root.appendChild(head);
  if (data.message) { const m = document.createElement("div"); m.className = "wb-message"; m.textContent = data.message; root.appendChild(m); }
  const stats = [...new Set(data.series.map((s) => s.stat))];
  const grid = document.createElement("div");
  grid.className = "wb-grid-panels";
  root.appendChild(grid);
  const width = Math.max(260, Math.floor(full / Math.min(stats.length || 1, 3)) - 8);
  for (const stat of stats) grid.appendChild(panel(stat, data.series.filter((s) => s.stat === stat), data, log, width, colors));
}

const CSS = `.wb-curves{width:100%;font:11px var(--jp-ui-font-family,sans-serif);color:var(--jp-ui-font-color1,#222)}
.wb-curves svg text{fill:var(--jp-ui-font-color1,#222);font-size:11px}
.wb-head{display:flex;flex-wrap:wrap;gap:4px 12px;align-items:center;margin:2px 0 4px}
.wb-legend{display:flex;flex-wrap:wrap;gap:2px 10px;flex:1}.wb-key{white-space:nowrap}
.wb-key i{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:3px;vertical-align:-1px}
.wb-run-pruned,.wb-run-fail{opacity:.65}.wb-key svg{vertical-align:middle;margin-right:2px}
.wb-key .wb-line{stroke:var(--jp-ui-font-color1,#222)}
.wb-grid-panels{display:flex;flex-wrap:wrap;gap:8px}
.wb-grid{stroke:var(--jp-border-color2,#e0e0e0);stroke-width:1}
.wb-frame{fill:none;stroke:var(--jp-border-color1,#bbb)}
.wb-line{fill:none;stroke-width:1.8}.wb-point{stroke-width:1.6}.wb-train{stroke-dasharray:5 3;stroke-width:1.4}
.wb-ended{opacity:.6}.wb-pruned{stroke-width:2}
.wb-mutation{stroke:var(--jp-warn-color1,#e08000);stroke-dasharray:3 3}
.wb-curves svg text.wb-mutation-label{fill:var(--jp-warn-color0,#b36200)}
.wb-curves svg text.wb-empty,.wb-message{fill:var(--jp-ui-font-color2,#777);color:var(--jp-ui-font-color2,#777)}
.wb-curves svg text.wb-axis-title{fill:var(--jp-ui-font-color2,#555)}`;

function render({ model, el }) {
  const root = document.createElement("div");
  root.className = "wb-curves";
  const style = document.createElement("style");
  style.textContent = CSS;
  el.append(style, root);
  let queued = false, asked = false;
  const draw = () => { queued = false; paint(root, model.get("data"), model); };
  const schedule = () => { if (!queued) { queued = true; requestAnimationFrame(draw); } };
  const onData = () => { asked = false; schedule(); };
  const onMsg = (msg) => {
    if (msg.type !== "append") return;
    const data = model.get("data"); // shared by every view of this model: apply once, by seq
    const ahead = (msg.seq - (data.seq % SEQ) + SEQ) % SEQ; // updates are numbered modulo SEQ
    if (ahead === 1) apply(data, msg);
    else if (ahead > 1 && ahead < SEQ / 2 && !asked) { asked = true; model.send({ type: "sync" }); }
    schedule();
  };
  model.on("change:data", onData);
  model.on("change:log_y", schedule);
  model.on("msg:custom", onMsg);
  const resize = new ResizeObserver(schedule);
  resize.observe(root);
  draw();
  return () => {
    resize.disconnect();
    model.off("change:data", onData);
    model.off("change:log_y", schedule);
    model.off("msg:custom", onMsg);
  };
}

export default { render };
