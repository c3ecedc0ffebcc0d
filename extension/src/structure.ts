/**
 * A trial's or run's pipeline as an indented tree, its mutation log after it.
 *
 * The structure comes from the store with the trial's own values set: a node's `sampled`
 * maps each hyperparam the trial sampled to the base pipeline's value, and branches a Choose
 * did not choose are `active: false`. This file draws them; it decides nothing.
 */
import type { Plain } from './api';
import { element } from './panel';
import { pythonValue } from './text';

type Node = { [key: string]: Plain };

function line(className: string, text: string): HTMLElement {
  return element('div', `jp-Workbench-structureLine ${className}`.trim(), text);
}

function nodeLines(node: Node, depth: number, out: HTMLElement[]): void {
  const indent = '  '.repeat(depth);
  const name = node.name ? `${String(node.name)}: ` : '';
  const active = node.active !== false;
  const chosen =
    (typeof node.chosen === 'string' ? `  (chose ${node.chosen})` : '') +
    (node.frozen === true ? '  (frozen)' : '');
  out.push(
    line(
      active ? 'jp-Workbench-step' : 'jp-Workbench-step jp-Workbench-inactive',
      `${indent}${name}${String(node.class ?? '?')}${active ? chosen : '  (not chosen)'}`
    )
  );
  if (!active) {
    return;
  }
  const sampled =
    node.sampled && typeof node.sampled === 'object' && !Array.isArray(node.sampled)
      ? node.sampled
      : {};
  const hyperparams = node.hyperparams;
  if (hyperparams && typeof hyperparams === 'object' && !Array.isArray(hyperparams)) {
    for (const [key, value] of Object.entries(hyperparams)) {
      const text = `${indent}    ${key} = ${pythonValue(value)}`;
      if (key in sampled) {
        const before = sampled[key];
        const changed = JSON.stringify(before) !== JSON.stringify(value);
        const note = changed ? `  ← this trial (base: ${pythonValue(before)})` : '  ← this trial';
        out.push(line('jp-Workbench-sampled', text + note));
      } else {
        out.push(line('', text));
      }
    }
  }
  for (const child of Array.isArray(node.children) ? node.children : []) {
    if (child && typeof child === 'object' && !Array.isArray(child)) {
      nodeLines(child, depth + 1, out);
    }
  }
}

/** Fill `container` with the structure's lines, then the mutation log's. */
export function showStructure(
  container: HTMLElement,
  structure: Plain,
  log: { [key: string]: Plain }[]
): void {
  const lines: HTMLElement[] = [];
  if (structure && typeof structure === 'object' && !Array.isArray(structure)) {
    nodeLines(structure, 0, lines);
  } else {
    lines.push(line('jp-Workbench-muted', 'No pipeline structure recorded.'));
  }
  if (log.length) {
    lines.push(line('', ''));
    lines.push(line('jp-Workbench-structureHeading', 'Mutations:'));
    for (const entry of log) {
      const parts = [entry.op, entry.path, entry.time].filter(part => part !== undefined && part !== null);
      lines.push(line('jp-Workbench-mutation', `  ${parts.map(part => String(part)).join(' ')}`));
    }
  }
  container.replaceChildren(...lines);
}

/** A table of name → value (Python's spelling: None stays None). */
export function showTable(
  table: HTMLElement,
  headers: [string, string],
  entries: [string, Plain][],
  markedRows: Set<string> = new Set()
): void {
  const body = element('tbody');
  const head = element('tr');
  head.appendChild(element('th', undefined, headers[0]));
  head.appendChild(element('th', undefined, headers[1]));
  body.appendChild(head);
  for (const [name, value] of entries) {
    const tr = element('tr', markedRows.has(name) ? 'jp-Workbench-sampled' : undefined);
    tr.appendChild(element('td', undefined, name));
    tr.appendChild(element('td', 'jp-Workbench-number', pythonValue(value)));
    body.appendChild(tr);
  }
  table.replaceChildren(body);
}
