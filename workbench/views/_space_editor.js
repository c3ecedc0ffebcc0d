// The space editor: one row per hyperparameter, grouped by step. The kernel checks and applies
// each edit; this draws the rows it sends and sends back what a user typed or ticked.
const CSS = `
.wb-space-editor .wb-inactive{opacity:.5}
.wb-space-editor .wb-group{margin-top:6px}
.wb-space-editor .wb-space-row{display:flex;flex-flow:row wrap;align-items:center;gap:2px 0;
  min-height:30px}
.wb-space-editor .wb-row-name{width:150px;font-family:var(--jp-code-font-family,monospace)}
.wb-space-editor label{display:inline-flex;align-items:center;gap:4px;margin-right:8px;
  color:var(--jp-ui-font-color1,#1f1f1f)}
.wb-space-editor input[type=text]{font-family:var(--jp-code-font-family,monospace);
  font-size:var(--jp-ui-font-size1,13px);height:24px;box-sizing:border-box;padding:2px 6px;
  color:var(--jp-widgets-input-color,var(--jp-ui-font-color1,#1f1f1f));
  background:var(--jp-widgets-input-background-color,var(--jp-layout-color1,#fff));
  border:1px solid var(--jp-widgets-input-border-color,var(--jp-border-color1,#bdbdbd));
  border-radius:0}
.wb-space-editor input[type=text]:focus{border-color:var(--jp-widgets-input-focus-border-color,
  var(--jp-brand-color1,#1976d2));outline:none}
.wb-space-editor input:disabled{opacity:.6}
.wb-space-editor .wb-bound input{width:76px}
.wb-space-editor .wb-step input{width:66px}
.wb-space-editor .wb-message{margin-left:8px}
`;

function make(tag, props, parent) {
  const node = Object.assign(document.createElement(tag), props || {});
  if (parent) parent.appendChild(node);
  return node;
}

function field(row, name, parent, placeholder) {
  const label = make("label", { className: name === "step" ? "wb-step" : "wb-bound" }, parent);
  make("span", { textContent: name }, label);
  return make("input", { type: "text", value: row[name], placeholder }, label);
}

function tick(text, checked, parent) {
  const label = make("label", {}, parent);
  const box = make("input", { type: "checkbox", checked }, label);
  make("span", { textContent: text }, label);
  return box;
}

// The controls of one row: `read()` gives what they hold, `show(row)` puts the kernel's in.
function controls(row, line, send) {
  if (row.kind === "categorical") {
    const boxes = row.choices.map((text, i) => tick(text, row.ticked[i], line));
    boxes.forEach((box) => box.addEventListener("change", send));
    return {
      inputs: boxes,
      read: () => ({ ticked: boxes.map((box) => box.checked) }),
      show: (next) => boxes.forEach((box, i) => { box.checked = next.ticked[i]; }),
    };
  }
  const low = field(row, "low", line, "");
  const high = field(row, "high", line, "");
  const log = tick("log", row.log, line);
  const step = field(row, "step", line, row.kind === "float" ? "none" : "1");
  const inputs = [low, high, log, step];
  inputs.forEach((input) => input.addEventListener("change", send)); // a box ticked, a field left
  for (const input of [low, high, step]) {
    input.addEventListener("keydown", (event) => { if (event.key === "Enter") send(); });
  }
  return {
    inputs,
    read: () => ({ low: low.value, high: high.value, log: log.checked, step: step.value }),
    show: (next) => {
      for (const [input, key] of [[low, "low"], [high, "high"], [step, "step"]]) {
        if (document.activeElement !== input && input.value !== next[key]) input.value = next[key];
      }
      log.checked = next.log;
    },
  };
}

function shapeOf(groups) {
  return JSON.stringify(groups.map((g) => [g.path, g.rows.map((r) => [r.path, r.kind, r.choices])]));
}

function render({ model, el }) {
  el.classList.add("wb-space-editor");
  if (!document.getElementById("wb-space-editor-css")) {
    make("style", { id: "wb-space-editor-css", textContent: CSS }, document.head);
  }
  const sheet = make("div", {}, el);
  const body = make("div", {}, el);
  const status = make("div", {}, el);
  let shape = null;
  let rows = new Map(); // path -> { controls, message }
  let groupNodes = new Map(); // path -> { box, head }

  function build(groups) {
    body.replaceChildren();
    rows = new Map();
    groupNodes = new Map();
    for (const group of groups) {
      const box = make("div", { className: "wb-view wb-group" }, body);
      box.style.marginLeft = `${16 * group.depth}px`;
      const head = make("div", {}, box);
      groupNodes.set(group.path, { box, head });
      for (const row of group.rows) {
        const line = make("div", { className: `wb-space-row wb-path-${row.path}` }, box);
        make("span", { className: "wb-row-name", textContent: row.name }, line);
        let sent = null; // Enter then leaving the field sends the same entry once
        const send = () => {
          const entry = JSON.stringify(parts.read());
          if (entry !== sent) model.send({ type: "edit", path: row.path, ...parts.read() });
          sent = entry;
        };
        const parts = controls(row, line, send);
        const message = make("span", { className: "wb-message" }, line);
        rows.set(row.path, { parts, message, forget: () => { sent = null; } });
      }
    }
  }

  function draw() {
    sheet.innerHTML = model.get("css");
    const groups = model.get("groups") || [];
    const next = shapeOf(groups);
    if (next !== shape) {
      shape = next;
      build(groups);
    }
    for (const group of groups) {
      const { box, head } = groupNodes.get(group.path);
      head.innerHTML = group.head;
      box.classList.toggle("wb-inactive", !group.active);
      for (const row of group.rows) {
        const { parts, forget } = rows.get(row.path);
        parts.show(row);
        forget(); // the kernel's values are in: the next entry goes out even if sent before
        parts.inputs.forEach((input) => { input.disabled = group.frozen; });
      }
    }
    drawMessages();
  }

  function drawMessages() {
    const messages = model.get("messages") || {};
    for (const [path, { message }] of rows) message.innerHTML = messages[path] || "";
    status.innerHTML = model.get("status") || "";
  }

  model.on("change:groups", draw);
  model.on("change:css", draw);
  model.on("change:messages", drawMessages);
  model.on("change:status", drawMessages);
  draw();
  return () => {
    model.off("change:groups", draw);
    model.off("change:css", draw);
    model.off("change:messages", drawMessages);
    model.off("change:status", drawMessages);
  };
}

export default { render };
