// A comparison: one canvas chart per statistic (train dashed, valid solid, one colour per
// item or group, bands for groups, mutation marks), the differing hyperparams, the structure
// diff as a tree. The kernel sends the data ready to draw; live updates append points.
const PALETTE = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#b8860b",
  "#b07aa1", "#d37295", "#9c755f", "#7f7f7f"]; // readable on light and dark backgrounds
const H = 240, M = { l: 56, r: 12, t: 10, b: 34 };

function color(i) { return PALETTE[i % PALETTE.length]; }

function fmt(v) {
  if (v === 0) return "0";
  const a = Math.abs(v);
  return a >= 1e4 || a < 1e-3 ? v.toExponential(1) : +v.toPrecision(4) + "";
}

function ticks(lo, hi) {
  const span = hi - lo || 1, raw = span / 5, mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => span / s <= 6);
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(+v.toPrecision(12));
  return out;
}

function el(tag, cls, text, parent) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (parent) parent.appendChild(e);
  return e;
}

function bounds(series) {
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (const s of series) {
    const ys = [s.y, s.low, s.high].filter(Boolean);
    for (let i = 0; i < s.x.length; i++) {
      for (const arr of ys) {
        const y = arr[i];
        if (y === null || !isFinite(y)) continue;
        if (y < y0) y0 = y; if (y > y1) y1 = y;
        if (s.x[i] < x0) x0 = s.x[i]; if (s.x[i] > x1) x1 = s.x[i];
      }
    }
  }
  return { x0, x1, y0, y1 };
}

// Points of one curve as canvas moves: a gap (null) lifts the pen.
function trace(ctx, s, ys, X, Y) {
  let pen = false;
  for (let i = 0; i < s.x.length; i++) {
    const y = ys[i];
    if (y === null || !isFinite(y)) { pen = false; continue; }
    const px = X(s.x[i]), py = Y(y);
    if (pen) ctx.lineTo(px, py); else { ctx.moveTo(px, py); pen = true; }
  }
}

function drawChart(chart, data, width, theme) {
  const canvas = document.createElement("canvas");
  const ratio = window.devicePixelRatio || 1;
  canvas.width = width * ratio; canvas.height = H * ratio;
  canvas.style.width = width + "px"; canvas.style.height = H + "px";
  canvas.className = "wb-cmp-canvas";
  canvas.dataset.statistic = chart.statistic;
  canvas.dataset.curves = String(chart.series.length);
  const ctx = canvas.getContext("2d");
  ctx.scale(ratio, ratio);
  ctx.font = "11px " + theme.font;
  let { x0, x1, y0, y1 } = bounds(chart.series);
  if (!isFinite(x0)) {
    ctx.fillStyle = theme.muted; ctx.textAlign = "center";
    ctx.fillText("no points yet", width / 2, H / 2);
    return canvas;
  }
  if (x1 <= x0) { x0 -= 1; x1 += 1; }
  if (y1 - y0 < 1e-12) { y0 -= Math.abs(y0) * 0.05 || 0.5; y1 += Math.abs(y1) * 0.05 || 0.5; }
  const pad = (y1 - y0) * 0.04; y0 -= pad; y1 += pad;
  const X = (x) => M.l + ((x - x0) / (x1 - x0)) * (width - M.l - M.r);
  const Y = (y) => M.t + (1 - (y - y0) / (y1 - y0)) * (H - M.t - M.b);
  ctx.strokeStyle = theme.grid; ctx.fillStyle = theme.text; ctx.lineWidth = 1;
  ctx.textAlign = "right";
  for (const t of ticks(y0, y1)) {
    ctx.beginPath(); ctx.moveTo(M.l, Y(t)); ctx.lineTo(width - M.r, Y(t)); ctx.stroke();
    ctx.fillText(fmt(t), M.l - 5, Y(t) + 4);
  }
  ctx.textAlign = "center";
  for (const t of ticks(x0, x1).filter(Number.isInteger)) ctx.fillText(fmt(t), X(t), H - M.b + 15);
  ctx.fillStyle = theme.muted;
  ctx.fillText("epoch", (M.l + width - M.r) / 2, H - 4);
  ctx.save(); ctx.translate(12, (M.t + H - M.b) / 2); ctx.rotate(-Math.PI / 2);
  ctx.fillText(chart.statistic, 0, 0); ctx.restore();
  ctx.strokeStyle = theme.frame; ctx.strokeRect(M.l, M.t, width - M.l - M.r, H - M.t - M.b);
  ctx.save();
  ctx.beginPath(); ctx.rect(M.l, M.t, width - M.l - M.r, H - M.t - M.b); ctx.clip();
  // bands first (groups), then lines batched by colour and split: few strokes for many curves
  for (const s of chart.series) {
    if (!s.low || !s.high) continue;
    ctx.beginPath();
    let started = false;
    for (let i = 0; i < s.x.length; i++) {
      if (s.high[i] === null) continue;
      const px = X(s.x[i]), py = Y(s.high[i]);
      if (started) ctx.lineTo(px, py); else { ctx.moveTo(px, py); started = true; }
    }
    for (let i = s.x.length - 1; i >= 0; i--) if (s.low[i] !== null) ctx.lineTo(X(s.x[i]), Y(s.low[i]));
    ctx.closePath();
    ctx.globalAlpha = s.split === "train" ? 0.1 : 0.18; ctx.fillStyle = color(s.color); ctx.fill();
    ctx.globalAlpha = 1;
  }
  const batches = new Map();
  for (const s of chart.series) {
    const key = s.color % PALETTE.length + "|" + s.split;
    if (!batches.has(key)) batches.set(key, []);
    batches.get(key).push(s);
  }
  const many = chart.series.length > 60;
  for (const [key, list] of batches) {
    const [c, split] = key.split("|");
    ctx.beginPath();
    for (const s of list) trace(ctx, s, s.y, X, Y);
    ctx.strokeStyle = PALETTE[+c]; ctx.globalAlpha = many ? 0.55 : 1;
    ctx.lineWidth = split === "train" ? 1.3 : 1.8;
    ctx.setLineDash(split === "train" ? [5, 3] : []);
    ctx.stroke();
  }
  ctx.globalAlpha = 1; ctx.setLineDash([3, 3]); ctx.lineWidth = 1;
  const marks = data.marks || [];
  for (const m of marks) {
    const x = X(m.epoch - 0.5);
    ctx.strokeStyle = color(data.colors[m.label] ?? 0);
    ctx.beginPath(); ctx.moveTo(x, M.t); ctx.lineTo(x, H - M.b); ctx.stroke();
  }
  ctx.restore();
  ctx.setLineDash([]);
  if (marks.length && marks.length <= 12) {
    ctx.textAlign = "left"; ctx.fillStyle = theme.warn;
    marks.forEach((m, i) => ctx.fillText(m.mark, X(m.epoch - 0.5) + 3, M.t + 11 + (i % 3) * 12));
  }
  return canvas;
}

function legend(data, parent) {
  const box = el("div", "wb-cmp-legend", undefined, parent);
  const keys = el("span", "wb-cmp-key", undefined, box);
  keys.innerHTML = '<svg width="22" height="8"><path d="M1,4L21,4" stroke-dasharray="5 3"/></svg>train'
    + ' <svg width="22" height="8"><path d="M1,4L21,4"/></svg>valid';
  const names = Object.keys(data.colors);
  const shown = names.slice(0, 40);
  for (const name of shown) {
    const k = el("span", "wb-cmp-key", undefined, box);
    const i = el("i", "", undefined, k);
    i.style.background = color(data.colors[name]);
    const members = data.groups && data.groups[name];
    k.appendChild(document.createTextNode(data.group_by ? `${data.group_by} = ${name} (${members.length})` : name));
    if (members) k.title = members.join(", ");
  }
  if (names.length > shown.length) el("span", "wb-cmp-more", ` +${names.length - shown.length} more`, box);
}

// An item's colour: its own, or its group's when the curves are grouped.
function itemColor(data, label) {
  if (!data.group_by) return color(data.colors[label] ?? 0);
  const group = Object.keys(data.groups).find((name) => data.groups[name].includes(label));
  return color(data.colors[group] ?? 0);
}

function itemsTable(data, parent) {
  if (!data.items.length || data.items.length > 50) return;
  const table = el("table", "wb-cmp-table wb-cmp-items", undefined, parent);
  const head = el("tr", "", undefined, el("thead", "", undefined, table));
  for (const h of ["", "item", "state", "metric", "value", "epochs"]) el("th", "", h, head);
  const body = el("tbody", "", undefined, table);
  for (const item of data.items) {
    const tr = el("tr", "", undefined, body);
    const sw = el("i", "wb-cmp-swatch", undefined, el("td", "", undefined, tr));
    sw.style.background = itemColor(data, item.label);
    el("td", "wb-cmp-label", item.label, tr);
    el("td", "wb-cmp-state wb-cmp-" + item.state, item.state, tr);
    el("td", "", item.metric ?? "", tr);
    el("td", "wb-cmp-num", item.value === null ? "–" : fmt(item.value), tr);
    el("td", "wb-cmp-num", item.epochs, tr);
  }
}

function differingTable(data, parent) {
  const d = data.differing;
  const section = el("div", "wb-cmp-section", undefined, parent);
  el("div", "wb-cmp-title", `Differing hyperparams (${d.paths.length})`, section);
  if (!d.paths.length) { el("div", "wb-cmp-muted", "Every hyperparam is the same.", section); return; }
  const table = el("table", "wb-cmp-table wb-cmp-differing", undefined, section);
  const head = el("tr", "", undefined, el("thead", "", undefined, table));
  el("th", "", "path", head);
  const labels = d.labels.slice(0, 30);
  for (const label of labels) el("th", "", label, head);
  const body = el("tbody", "", undefined, table);
  d.paths.forEach((path, r) => {
    const tr = el("tr", "", undefined, body);
    el("td", "wb-cmp-path", path, tr);
    labels.forEach((_, c) => {
      const v = d.rows[r][c];
      el("td", v === null ? "wb-cmp-muted" : "", v === null ? "–" : typeof v === "number" ? fmt(v) : JSON.stringify(v).replace(/^"|"$/g, ""), tr);
    });
  });
}

function structureTree(data, parent) {
  const section = el("div", "wb-cmp-section", undefined, parent);
  el("div", "wb-cmp-title", `Structure diff (${data.structure.length})`, section);
  if (!data.structure.length) { el("div", "wb-cmp-muted", "Every item has the same steps.", section); return; }
  const list = el("ul", "wb-cmp-tree", undefined, section);
  let shown = new Set();
  for (const row of data.structure) {
    row.parents.forEach((name, depth) => {
      const key = row.parents.slice(0, depth + 1).join("__");
      if (shown.has(key)) return;
      shown.add(key);
      const li = el("li", "wb-cmp-muted", name, list);
      li.style.paddingLeft = depth * 16 + "px";
    });
    shown.add(row.path);
    const li = el("li", "", undefined, list);
    li.style.paddingLeft = (row.depth ? row.depth - 1 : 0) * 16 + "px";
    el("span", "wb-cmp-step", row.name, li);
    el("span", "wb-cmp-change wb-cmp-" + row.change, row.change, li);
    const classes = el("span", "wb-cmp-classes", undefined, li);
    data.labels.slice(0, 12).forEach((label, i) => {
      const c = el("span", row.classes[i] === null ? "wb-cmp-muted" : "", `${label}: ${row.classes[i] ?? "—"}`, classes);
      c.title = label;
    });
  }
}

function paint(root, data) {
  const start = performance.now();
  const full = root.clientWidth || root.parentElement?.clientWidth || 800;
  root.textContent = "";
  const style = getComputedStyle(root);
  const v = (name, fallback) => style.getPropertyValue(name).trim() || fallback;
  const theme = {
    text: v("--jp-ui-font-color1", "#222"), muted: v("--jp-ui-font-color2", "#666"),
    grid: v("--jp-border-color2", "#e0e0e0"), frame: v("--jp-border-color1", "#bbb"),
    warn: v("--jp-warn-color0", "#b36200"), font: v("--jp-ui-font-family", "sans-serif"),
  };
  legend(data, root);
  const grid = el("div", "wb-cmp-charts", undefined, root);
  const n = data.charts.length || 1;
  const width = Math.max(280, Math.floor(full / Math.min(n, 2)) - 10);
  for (const chart of data.charts) grid.appendChild(drawChart(chart, data, width, theme));
  if (!data.charts.length) el("div", "wb-cmp-muted", "No curves: none of the items recorded a History.", grid);
  const tables = el("div", "wb-cmp-tables", undefined, root);
  itemsTable(data, tables);
  differingTable(data, tables);
  structureTree(data, tables);
  root.dataset.drawMs = (performance.now() - start).toFixed(1);
}

function apply(data, msg) {
  const byKey = new Map();
  for (const chart of data.charts) for (const s of chart.series) byKey.set(s.key, s);
  for (const [key, xs, ys] of msg.points || []) {
    const s = byKey.get(key);
    if (!s) continue;
    for (let i = 0; i < xs.length; i++) { s.x.push(xs[i]); s.y.push(ys[i]); }
  }
  if (msg.items) data.items = msg.items;
}

const CSS = `.wb-compare{width:100%;font:12px var(--jp-ui-font-family,sans-serif);color:var(--jp-ui-font-color1,#222)}
.wb-cmp-legend{display:flex;flex-wrap:wrap;gap:2px 12px;margin:2px 0 6px;align-items:center}
.wb-cmp-key{white-space:nowrap}.wb-cmp-key i,.wb-cmp-swatch{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:4px;vertical-align:-1px}
.wb-cmp-key svg{vertical-align:middle;margin-right:2px}.wb-cmp-key path{stroke:var(--jp-ui-font-color1,#222);stroke-width:1.6}
.wb-cmp-charts{display:flex;flex-wrap:wrap;gap:10px}
.wb-cmp-tables{display:flex;flex-wrap:wrap;gap:10px 28px;margin-top:8px;align-items:flex-start}
.wb-cmp-title{font-weight:600;margin:4px 0}.wb-cmp-section{max-width:100%;overflow-x:auto}
.wb-cmp-table th{white-space:nowrap}
.wb-cmp-table{border-collapse:collapse}.wb-cmp-table th,.wb-cmp-table td{padding:2px 8px;border-bottom:1px solid var(--jp-border-color2,#e0e0e0);text-align:left}
.wb-cmp-table th{color:var(--jp-ui-font-color2,#555);font-weight:600}.wb-cmp-num{text-align:right!important;font-variant-numeric:tabular-nums}
.wb-cmp-path,.wb-cmp-step{font-family:var(--jp-code-font-family,monospace)}
.wb-cmp-muted{color:var(--jp-ui-font-color2,#777)}
.wb-cmp-tree{list-style:none;margin:0;padding:0}.wb-cmp-tree li{padding:1px 0}
.wb-cmp-change{margin:0 8px;padding:0 5px;border-radius:3px;font-size:11px;background:var(--jp-layout-color2,#eee)}
.wb-cmp-added{color:var(--jp-success-color0,#2e7d32)}.wb-cmp-removed{color:var(--jp-error-color0,#c62828)}
.wb-cmp-class,.wb-cmp-replaced{color:var(--jp-warn-color0,#b36200)}
.wb-cmp-classes span{margin-right:10px}.wb-cmp-running{color:var(--jp-brand-color1,#1976d2)}`;

function render({ model, el: host }) {
  const root = document.createElement("div");
  root.className = "wb-compare";
  const style = document.createElement("style");
  style.textContent = CSS;
  host.append(style, root);
  let queued = false;
  const draw = () => { queued = false; paint(root, model.get("data")); };
  const schedule = () => { if (!queued) { queued = true; requestAnimationFrame(draw); } };
  const onMsg = (msg) => {
    if (msg.type !== "append") return;
    apply(model.get("data"), msg);
    schedule();
  };
  model.on("change:data", schedule);
  model.on("msg:custom", onMsg);
  const resize = new ResizeObserver(schedule);
  resize.observe(root);
  // canvas colours come from the theme: draw again when JupyterLab's theme changes
  const themed = new MutationObserver(() => setTimeout(schedule, 50));
  themed.observe(document.body, { attributes: true, attributeFilter: ["data-jp-theme-light", "data-jp-theme-name"] });
  draw();
  return () => {
    resize.disconnect();
    themed.disconnect();
    model.off("change:data", schedule);
    model.off("msg:custom", onMsg);
  };
}

export default { render };
