/**
 * Comparing runs and trials: the selection the side panel and the trial tables share, and the
 * comparison tab (curves overlaid on canvas, differing hyperparams, structure diff as a tree).
 *
 * The server computes the comparison (`GET compare?item=...`); this draws what it sends. Every
 * text from the store goes in as textContent (or canvas text), never as HTML.
 */
import { Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';

import { ApiError, IComparison, Plain, api, formatValue } from './api';
import { element, setText } from './panel';

/** An item of the compare route: `<store id>/<study or run>` or `.../<trial>`. */
export function itemOf(store: string, study: string, trial?: number): string {
  return trial === undefined ? `${store}/${study}` : `${store}/${study}/${trial}`;
}

/** What is ticked for comparison, everywhere in the Lab (panel and study tabs). */
export class CompareSelection {
  readonly changed = new Signal<this, void>(this);
  private readonly items = new Set<string>();

  get size(): number {
    return this.items.size;
  }

  has(item: string): boolean {
    return this.items.has(item);
  }

  set(item: string, on: boolean): void {
    if (on === this.items.has(item)) {
      return;
    }
    if (on) {
      this.items.add(item);
    } else {
      this.items.delete(item);
    }
    this.changed.emit();
  }

  list(): string[] {
    return [...this.items];
  }

  clear(): void {
    this.items.clear();
    this.changed.emit();
  }
}

/** A checkbox that ticks `item` in `selection` and follows it; its clicks open nothing. */
export function compareBox(selection: CompareSelection, item: string, title: string): HTMLInputElement {
  const box = element('input', 'jp-Workbench-compareBox');
  box.type = 'checkbox';
  box.title = title;
  box.dataset.item = item;
  box.checked = selection.has(item);
  box.addEventListener('click', event => event.stopPropagation());
  box.addEventListener('keydown', event => event.stopPropagation());
  box.addEventListener('change', () => selection.set(item, box.checked));
  const follow = (): void => {
    if (!box.isConnected && box.dataset.seen) {
      selection.changed.disconnect(follow);
      return;
    }
    box.dataset.seen = '1';
    box.checked = selection.has(item);
  };
  selection.changed.connect(follow);
  return box;
}

const PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#b8860b', '#b07aa1', '#d37295', '#9c755f', '#7f7f7f'];
const H = 240;
const M = { l: 56, r: 12, t: 10, b: 34 };

function niceTicks(lo: number, hi: number): number[] {
  const span = hi - lo || 1;
  const magnitude = Math.pow(10, Math.floor(Math.log10(span / 5)));
  const step = [1, 2, 5, 10].map(m => m * magnitude).find(s => span / s <= 6) ?? span;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) {
    out.push(Number(v.toPrecision(12)));
  }
  return out;
}

type Series = IComparison['series'][number];

/** At most about two points a pixel column: each keeps its first, least, greatest, last. */
export function downsample(xs: number[], ys: (number | null)[], width: number): [number[], (number | null)[]] {
  if (xs.length <= 2 * width || xs.length < 2) {
    return [xs, ys];
  }
  const x0 = xs[0];
  const span = xs[xs.length - 1] - x0 || 1;
  const keep = new Set<number>();
  let column = -1;
  let low = -1;
  let high = -1;
  let first = -1;
  const close = (end: number): void => {
    if (first >= 0) {
      [first, low, high, end].forEach(i => i >= 0 && keep.add(i));
    }
  };
  for (let i = 0; i < xs.length; i++) {
    const c = Math.min(width - 1, Math.floor(((xs[i] - x0) / span) * width));
    if (c !== column) {
      close(i - 1);
      column = c;
      first = i;
      low = high = -1;
    }
    const y = ys[i];
    if (y !== null && isFinite(y)) {
      if (low < 0 || y < (ys[low] as number)) {
        low = i;
      }
      if (high < 0 || y > (ys[high] as number)) {
        high = i;
      }
    }
  }
  close(xs.length - 1);
  const kept = [...keep].sort((a, b) => a - b);
  return [kept.map(i => xs[i]), kept.map(i => ys[i])];
}

function theme(node: HTMLElement): { [key: string]: string } {
  const style = getComputedStyle(node);
  const v = (name: string, fallback: string): string => style.getPropertyValue(name).trim() || fallback;
  return {
    text: v('--jp-ui-font-color1', '#222'),
    muted: v('--jp-ui-font-color2', '#666'),
    grid: v('--jp-border-color2', '#e0e0e0'),
    frame: v('--jp-border-color1', '#bbb'),
    warn: v('--jp-warn-color0', '#b36200'),
    font: v('--jp-ui-font-family', 'sans-serif')
  };
}

/** One chart: every item's curves of one statistic, train dashed, valid solid. */
function drawChart(
  host: HTMLElement,
  chart: string,
  series: Series[],
  data: IComparison,
  colorOf: Map<string, number>,
  width: number
): HTMLCanvasElement {
  const canvas = element('canvas', 'jp-Workbench-compareChart');
  canvas.dataset.chart = chart;
  canvas.dataset.curves = String(series.length);
  canvas.dataset.points = String(series.reduce((sum, s) => sum + s.epoch.length, 0));
  const ratio = window.devicePixelRatio || 1;
  canvas.width = width * ratio;
  canvas.height = H * ratio;
  canvas.style.width = `${width}px`;
  canvas.style.height = `${H}px`;
  const ctx = canvas.getContext('2d');
  if (!ctx) {
    return canvas;
  }
  const colors = theme(host);
  ctx.scale(ratio, ratio);
  ctx.font = `11px ${colors.font}`;
  const shown = series.map(s => {
    const [x, y] = downsample(s.epoch, s.value, width);
    return { ...s, x, y };
  });
  let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
  for (const s of shown) {
    s.y.forEach((y, i) => {
      if (y !== null && isFinite(y)) {
        x0 = Math.min(x0, s.x[i]);
        x1 = Math.max(x1, s.x[i]);
        y0 = Math.min(y0, y);
        y1 = Math.max(y1, y);
      }
    });
  }
  if (!isFinite(x0)) {
    ctx.fillStyle = colors.muted;
    ctx.fillText('no points yet', width / 2 - 30, H / 2);
    return canvas;
  }
  if (x1 <= x0) {
    x0 -= 1;
    x1 += 1;
  }
  if (y1 - y0 < 1e-12) {
    y0 -= Math.abs(y0) * 0.05 || 0.5;
    y1 += Math.abs(y1) * 0.05 || 0.5;
  }
  const pad = (y1 - y0) * 0.04;
  y0 -= pad;
  y1 += pad;
  const X = (x: number): number => M.l + ((x - x0) / (x1 - x0)) * (width - M.l - M.r);
  const Y = (y: number): number => M.t + (1 - (y - y0) / (y1 - y0)) * (H - M.t - M.b);
  ctx.strokeStyle = colors.grid;
  ctx.fillStyle = colors.text;
  ctx.lineWidth = 1;
  ctx.textAlign = 'right';
  for (const t of niceTicks(y0, y1)) {
    ctx.beginPath();
    ctx.moveTo(M.l, Y(t));
    ctx.lineTo(width - M.r, Y(t));
    ctx.stroke();
    ctx.fillText(formatValue(t), M.l - 5, Y(t) + 4);
  }
  ctx.textAlign = 'center';
  for (const t of niceTicks(x0, x1).filter(Number.isInteger)) {
    ctx.fillText(String(t), X(t), H - M.b + 15);
  }
  ctx.fillStyle = colors.muted;
  ctx.fillText('epoch', (M.l + width - M.r) / 2, H - 4);
  ctx.save();
  ctx.translate(12, (M.t + H - M.b) / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.fillText(chart, 0, 0);
  ctx.restore();
  ctx.strokeStyle = colors.frame;
  ctx.strokeRect(M.l, M.t, width - M.l - M.r, H - M.t - M.b);
  ctx.save();
  ctx.beginPath();
  ctx.rect(M.l, M.t, width - M.l - M.r, H - M.t - M.b);
  ctx.clip();
  const batches = new Map<string, typeof shown>();
  for (const s of shown) {
    const key = `${(colorOf.get(s.label) ?? 0) % PALETTE.length}|${s.split}`;
    batches.set(key, [...(batches.get(key) ?? []), s]);
  }
  for (const [key, list] of batches) {
    const [color, split] = key.split('|');
    ctx.beginPath();
    for (const s of list) {
      let pen = false;
      s.y.forEach((y, i) => {
        if (y === null || !isFinite(y)) {
          pen = false;
          return;
        }
        if (pen) {
          ctx.lineTo(X(s.x[i]), Y(y));
        } else {
          ctx.moveTo(X(s.x[i]), Y(y));
          pen = true;
        }
      });
    }
    ctx.strokeStyle = PALETTE[Number(color)];
    ctx.globalAlpha = shown.length > 60 ? 0.55 : 1;
    ctx.lineWidth = split === 'train' ? 1.3 : 1.8;
    ctx.setLineDash(split === 'train' ? [5, 3] : []);
    ctx.stroke();
  }
  ctx.globalAlpha = 1;
  ctx.setLineDash([3, 3]);
  for (const mark of data.marks) {
    ctx.strokeStyle = PALETTE[(colorOf.get(mark.label) ?? 0) % PALETTE.length];
    ctx.beginPath();
    ctx.moveTo(X(mark.epoch - 0.5), M.t);
    ctx.lineTo(X(mark.epoch - 0.5), H - M.b);
    ctx.stroke();
  }
  ctx.restore();
  if (data.marks.length && data.marks.length <= 12) {
    ctx.textAlign = 'left';
    ctx.fillStyle = colors.warn;
    data.marks.forEach((mark, i) =>
      ctx.fillText(mark.mark, X(mark.epoch - 0.5) + 3, M.t + 11 + (i % 3) * 12)
    );
  }
  return canvas;
}

function cellText(value: Plain): string {
  return value === null ? '–' : formatValue(value);
}

/** The comparison tab. */
export class CompareView extends Widget {
  private readonly heading = element('h2', 'jp-Workbench-studyName');
  private readonly error = element('div', 'jp-Workbench-error');
  private readonly legend = element('div', 'jp-Workbench-compareLegend');
  private readonly charts = element('div', 'jp-Workbench-compareCharts');
  private readonly tables = element('div', 'jp-Workbench-compareTables');
  private data: IComparison | null = null;

  constructor(readonly items: string[]) {
    super();
    this.addClass('jp-Workbench-study');
    this.addClass('jp-Workbench-compare');
    this.id = `workbench-compare-${Date.now()}`;
    this.title.label = `Compare (${items.length})`;
    this.title.caption = items.join('\n');
    this.title.closable = true;
    setText(this.heading, `Comparison of ${items.length} item${items.length === 1 ? '' : 's'}`);
    this.node.append(this.heading, this.error, this.legend, this.charts, this.tables);
    this.error.style.display = 'none';
    void this.refresh();
  }

  /** Whether the comparison holds an item of `study` in `store` still running. */
  follows(store: string, names: string[]): boolean {
    return Boolean(
      this.data?.items.some(item => item.state === 'running' && names.includes(item.study)) &&
        this.items.some(item => item.startsWith(`${store}/`))
    );
  }

  async refresh(): Promise<void> {
    try {
      this.data = await api.compare(this.items);
      this.error.style.display = 'none';
    } catch (error) {
      setText(this.error, error instanceof ApiError ? error.message : String(error));
      this.error.style.display = '';
      return;
    }
    this.redraw();
  }

  /** Draw again (the theme changed, or new data came). */
  redraw(): void {
    const data = this.data;
    if (!data) {
      return;
    }
    const colorOf = new Map(data.items.map((item, index) => [item.label, index]));
    this.legend.replaceChildren(
      ...data.items.map(item => {
        const key = element('span', 'jp-Workbench-compareKey');
        const swatch = element('i');
        swatch.style.background = PALETTE[(colorOf.get(item.label) ?? 0) % PALETTE.length];
        key.append(swatch, document.createTextNode(item.label));
        key.title = `${item.label}: ${item.state}`;
        return key;
      }),
      element('span', 'jp-Workbench-compareKey', '- - train   ── valid')
    );
    const byChart = new Map<string, Series[]>();
    for (const s of data.series) {
      byChart.set(s.chart, [...(byChart.get(s.chart) ?? []), s]);
    }
    const full = this.node.clientWidth || 900;
    const width = Math.max(300, Math.floor(full / Math.min(byChart.size || 1, 2)) - 24);
    this.charts.replaceChildren(
      ...[...byChart].map(([chart, series]) => drawChart(this.node, chart, series, data, colorOf, width))
    );
    this.tables.replaceChildren(this.itemsTable(data), this.differingTable(data), this.structureTree(data));
  }

  protected onResize(): void {
    this.redraw();
  }

  private itemsTable(data: IComparison): HTMLElement {
    const table = element('table', 'jp-Workbench-table jp-Workbench-compareItems');
    const head = element('tr');
    for (const label of ['Item', 'State', 'Metric', 'Value', 'Epochs']) {
      head.appendChild(element('th', undefined, label));
    }
    table.appendChild(element('thead')).appendChild(head);
    const body = table.appendChild(element('tbody'));
    for (const item of data.items) {
      const tr = body.appendChild(element('tr'));
      tr.append(
        element('td', 'jp-Workbench-name', item.label),
        element('td', undefined, item.state),
        element('td', undefined, item.metric ?? ''),
        element('td', 'jp-Workbench-number', cellText(item.value)),
        element('td', 'jp-Workbench-number', String(item.epochs))
      );
    }
    return table;
  }

  private differingTable(data: IComparison): HTMLElement {
    const section = element('div', 'jp-Workbench-compareSection');
    const { paths, labels, rows } = data.differing;
    section.appendChild(element('h3', undefined, `Differing hyperparams (${paths.length})`));
    if (!paths.length) {
      section.appendChild(element('div', 'jp-Workbench-empty', 'Every hyperparam is the same.'));
      return section;
    }
    const table = section.appendChild(element('table', 'jp-Workbench-table jp-Workbench-differing'));
    const head = element('tr');
    head.appendChild(element('th', undefined, 'Path'));
    labels.forEach(label => head.appendChild(element('th', undefined, label)));
    table.appendChild(element('thead')).appendChild(head);
    const body = table.appendChild(element('tbody'));
    paths.forEach((path, r) => {
      const tr = body.appendChild(element('tr'));
      tr.appendChild(element('td', 'jp-Workbench-name', path));
      rows[r].forEach(value => tr.appendChild(element('td', 'jp-Workbench-number', cellText(value))));
    });
    return section;
  }

  private structureTree(data: IComparison): HTMLElement {
    const section = element('div', 'jp-Workbench-compareSection');
    const { columns, rows } = data.structure_diff;
    section.appendChild(element('h3', undefined, `Structure diff (${rows.length})`));
    if (!rows.length) {
      section.appendChild(element('div', 'jp-Workbench-empty', 'Every item has the same steps.'));
      return section;
    }
    const list = section.appendChild(element('ul', 'jp-Workbench-tree'));
    const labels = columns.slice(3);
    const shown = new Set<string>();
    for (const row of rows) {
      const path = String(row[0]);
      const parts = path.split('__');
      parts.slice(0, -1).forEach((name, depth) => {
        const key = parts.slice(0, depth + 1).join('__');
        if (!shown.has(key)) {
          shown.add(key);
          const li = list.appendChild(element('li', 'jp-Workbench-treeParent', name));
          li.style.paddingLeft = `${depth * 16}px`;
        }
      });
      const li = list.appendChild(element('li'));
      li.style.paddingLeft = `${(parts.length - 1) * 16}px`;
      li.append(
        element('code', undefined, parts[parts.length - 1] || '(pipeline)'),
        element('span', `jp-Workbench-change jp-Workbench-change-${String(row[1])}`, String(row[1]))
      );
      labels.forEach((label, i) => {
        li.appendChild(element('span', 'jp-Workbench-treeClass', `${label}: ${row[3 + i] ?? '—'}`));
      });
    }
    return section;
  }
}
