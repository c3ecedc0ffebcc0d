// The trial table: sorted in the page by a click on a header; a click on a row selects a trial.
const CSS = `div.wb-table{max-height:260px;overflow:auto;font:12px var(--jp-ui-font-family,sans-serif);color:var(--jp-ui-font-color1,#222)}
div.wb-table table{border-collapse:collapse;width:100%}
div.wb-table th{position:sticky;top:0;background:var(--jp-layout-color2,#eee);cursor:pointer;text-align:left;padding:3px 6px;white-space:nowrap;user-select:none}
div.wb-table td{padding:2px 6px;border-top:1px solid var(--jp-border-color2,#e0e0e0);white-space:nowrap;max-width:260px;overflow:hidden;text-overflow:ellipsis}
div.wb-table tr.wb-row{cursor:pointer}div.wb-table tr.wb-row:hover{background:var(--jp-layout-color2,#f3f3f3)}
div.wb-table tr.wb-selected{outline:2px solid var(--jp-brand-color1,#1976d2);outline-offset:-2px}
.wb-state{border-radius:3px;padding:0 4px;color:#fff;font-size:11px}
.wb-s-complete{background:#2e7d32}.wb-s-pruned{background:#b26a00}.wb-s-fail{background:#c62828}.wb-s-running{background:#1565c0}.wb-s-waiting{background:#777}
.wb-best{color:var(--jp-warn-color1,#e08000)}.wb-lineage{color:var(--jp-ui-font-color2,#555)}.wb-num{text-align:right;font-variant-numeric:tabular-nums}`;

function cell(v) {
  if (v === null || v === undefined) return "";
  if (typeof v === "number" && !Number.isInteger(v)) return +v.toPrecision(5) + "";
  return String(v);
}

function compare(a, b) {
  if (a === b) return 0;
  if (a === null || a === undefined) return 1;
  if (b === null || b === undefined) return -1;
  return typeof a === "number" && typeof b === "number" ? a - b : String(a).localeCompare(String(b));
}

function render({ model, el }) {
  const root = document.createElement("div");
  root.className = "wb-table";
  const style = document.createElement("style");
  style.textContent = CSS;
  el.append(style, root);
  let key = "number", descending = false;
  const draw = () => {
    const rows = [...model.get("rows")], columns = model.get("columns");
    const best = model.get("best"), selected = model.get("selected");
    rows.sort((a, b) => (descending ? -1 : 1) * compare(a[key], b[key]) || a.number - b.number);
    const table = document.createElement("table");
    const head = table.createTHead().insertRow();
    for (const c of columns) {
      const th = document.createElement("th");
      th.textContent = c.label + (c.key === key ? (descending ? " ▼" : " ▲") : "");
      th.title = c.title || c.label;
      th.dataset.key = c.key;
      th.onclick = () => { descending = c.key === key ? !descending : c.key === "value" && model.get("direction") === "maximize"; key = c.key; draw(); };
      head.appendChild(th);
    }
    const body = table.createTBody();
    for (const r of rows) {
      const tr = body.insertRow();
      tr.className = "wb-row" + (r.number === selected ? " wb-selected" : "");
      tr.dataset.number = r.number;
      tr.onclick = () => { model.set("selected", r.number); model.save_changes(); };
      for (const c of columns) {
        const td = tr.insertCell();
        const v = r[c.key];
        if (c.key === "state") { const s = document.createElement("span"); s.className = `wb-state wb-s-${v}`; s.textContent = v; td.appendChild(s); }
        else td.textContent = cell(v);
        if (typeof v === "number") td.className = "wb-num";
        if (c.key === "number" && r.number === best) { const star = document.createElement("span"); star.className = "wb-best"; star.textContent = " ★"; star.title = "best trial"; td.appendChild(star); }
        if (c.key === "error" && v) td.title = v;
        if (c.key === "lineage") td.className = "wb-lineage";
      }
    }
    root.replaceChildren(table);
    if (!rows.length) root.append("No trials yet: press Start.");
  };
  for (const name of ["rows", "columns", "best", "selected"]) model.on(`change:${name}`, draw);
  draw();
  return () => { for (const name of ["rows", "columns", "best", "selected"]) model.off(`change:${name}`, draw); };
}

export default { render };
