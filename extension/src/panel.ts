/**
 * The "Workbench" side panel: every configured store with its studies and runs, kept live
 * through the changes route (one cheap request a second; listings are fetched again only for
 * a store that changed, and only the cells whose text changed are touched).
 *
 * Everything from the store is put in the page as text (textContent), never as HTML.
 */
import { Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';

import { ApiError, IChanges, IListing, IStoreInfo, IStudyRow, api, formatValue } from './api';
import { CompareSelection, compareBox, itemOf } from './compare';
import { splitName } from './text';
import { isLaterVersion, versionLabel, versionNote } from './versions';

/** How often the panel asks the server what changed (ms). */
export const POLL_INTERVAL = 1000;

export interface IStudyRef {
  store: string;
  study: string;
  url: string;
  kind: 'study' | 'run';
}

function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className?: string,
  text?: string
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) {
    node.className = className;
  }
  if (text !== undefined) {
    node.textContent = text;
  }
  return node;
}

export { element };

/** Set a node's text only when it differs, so an idle refresh changes nothing in the page. */
export function setText(node: HTMLElement, text: string): void {
  if (node.textContent !== text) {
    node.textContent = text;
  }
}

/** One table of studies (or runs) of one store, rows keyed by name. */
class ListingTable {
  readonly node = element('div', 'jp-Workbench-listing');
  private readonly body = element('tbody');
  private readonly empty: HTMLElement;
  private readonly rows = new Map<string, HTMLTableRowElement>();
  readonly data = new Map<string, IStudyRow>();

  constructor(
    private readonly kind: 'study' | 'run',
    private readonly onOpen: (name: string) => void,
    private readonly select: (name: string) => HTMLInputElement
  ) {
    const title = kind === 'study' ? 'Studies' : 'Runs';
    this.node.appendChild(element('div', 'jp-Workbench-listingTitle', title));
    const table = element('table', 'jp-Workbench-table');
    const head = element('thead');
    const headRow = element('tr');
    headRow.appendChild(element('th', 'jp-Workbench-compareCell'));
    for (const label of ['Name', 'Trials', 'Best']) {
      headRow.appendChild(element('th', label === 'Name' ? undefined : 'jp-Workbench-number', label));
    }
    if (kind === 'run') {
      (headRow.children[2] as HTMLElement).textContent = 'State';
    }
    head.appendChild(headRow);
    table.appendChild(head);
    table.appendChild(this.body);
    this.node.appendChild(table);
    this.empty = element('div', 'jp-Workbench-empty', kind === 'study' ? 'No studies yet.' : 'No runs yet.');
    this.node.appendChild(this.empty);
  }

  update(rows: IStudyRow[]): void {
    const seen = new Set<string>();
    rows.forEach((row, index) => {
      seen.add(row.name);
      this.data.set(row.name, row);
      let tr = this.rows.get(row.name);
      if (!tr) {
        tr = this.makeRow(row.name);
        this.rows.set(row.name, tr);
      }
      if (this.body.children[index] !== tr) {
        this.body.insertBefore(tr, this.body.children[index] ?? null);
      }
      const cells = Array.from(tr.children).slice(1) as HTMLElement[]; // after the checkbox
      const later = isLaterVersion(row);
      tr.classList.toggle('jp-Workbench-versionRow', later);
      if (later) {
        showLabel(cells[0], versionLabel(row));
      } else {
        showName(cells[0], row.name);
      }
      const note = versionNote(row);
      cells[0].title = note ? `${row.name}: ${note}` : row.name;
      if (this.kind === 'run') {
        setText(cells[1], runState(row));
      } else {
        setText(cells[1], formatValue(row.n_trials ?? null));
      }
      cells[1].title = countsText(row);
      const best = shortNumber(row.best_value ?? null);
      setText(cells[2], best);
      cells[2].title = row.metric ? `${row.metric} (${row.direction ?? ''})` : '';
      tr.classList.toggle('jp-Workbench-live', Boolean(row.running));
      tr.title = row.running ? `${row.running} trial(s) running` : '';
    });
    for (const [name, tr] of this.rows) {
      if (!seen.has(name)) {
        tr.remove();
        this.rows.delete(name);
        this.data.delete(name);
      }
    }
    this.empty.style.display = rows.length ? 'none' : '';
  }

  private makeRow(name: string): HTMLTableRowElement {
    const tr = element('tr', 'jp-Workbench-row');
    tr.dataset.name = name;
    tr.tabIndex = 0;
    const tick = element('td', 'jp-Workbench-compareCell');
    tick.appendChild(this.select(name));
    tr.appendChild(tick);
    for (let i = 0; i < 3; i++) {
      tr.appendChild(element('td', i === 0 ? 'jp-Workbench-name' : 'jp-Workbench-number'));
    }
    tr.addEventListener('click', () => this.onOpen(name));
    tr.addEventListener('keydown', event => {
      if (event.key === 'Enter') {
        this.onOpen(name);
      }
    });
    return tr;
  }
}

/**
 * A name in a narrow cell: its head cut with an ellipsis where there is no room, its tail
 * always shown, so that names alike at their start (run-20261203-0…) still differ.
 */
function showName(cell: HTMLElement, name: string): void {
  if (cell.dataset.name === name) {
    return;
  }
  cell.dataset.name = name;
  const [head, tail] = splitName(name);
  const box = element('span', 'jp-Workbench-nameBox');
  box.appendChild(element('span', 'jp-Workbench-nameHead', head));
  if (tail) {
    box.appendChild(element('span', 'jp-Workbench-nameTail', tail));
  }
  cell.replaceChildren(box);
}

/** A later version's label, whole (cut at its end where there is no room). */
function showLabel(cell: HTMLElement, label: string): void {
  if (cell.dataset.name === `\u0000${label}`) {
    return;
  }
  cell.dataset.name = `\u0000${label}`; // never a study's name: showName draws again
  const box = element('span', 'jp-Workbench-nameBox');
  box.appendChild(element('span', 'jp-Workbench-nameHead', label));
  cell.replaceChildren(box);
}

function countsText(row: IStudyRow): string {
  const parts = (['complete', 'running', 'pruned', 'fail', 'waiting'] as const)
    .filter(state => typeof row[state] === 'number' && row[state])
    .map(state => `${row[state]} ${state === 'fail' ? 'failed' : state}`);
  return parts.join(', ');
}

/** A number to 4 significant digits, for the narrow listing. */
function shortNumber(value: number | null): string {
  return typeof value === 'number' ? String(Number(value.toPrecision(4))) : '';
}

/** A long address cut at its start: the end names the file. */
export function shortAddress(url: string, room = 44): string {
  return url.length <= room ? url : `…${url.slice(url.length - room + 1)}`;
}

function runState(row: IStudyRow): string {
  if (row.running) {
    return 'running';
  }
  if (row.fail) {
    return 'failed';
  }
  return row.complete ? 'done' : '';
}

/** One store: its address, its error if it cannot open, its studies and its runs. */
class StoreSection {
  readonly node = element('section', 'jp-Workbench-store');
  private readonly title = element('div', 'jp-Workbench-storeTitle');
  private readonly error = element('div', 'jp-Workbench-error');
  readonly studies: ListingTable;
  readonly runs: ListingTable;

  constructor(
    readonly info: IStoreInfo,
    onOpen: (ref: IStudyRef) => void,
    selection: CompareSelection
  ) {
    setText(
      this.title,
      info.name === 'default' ? `This folder: ${shortAddress(info.url, 24)}` : shortAddress(info.url, 34)
    );
    this.title.title = `${info.kind ?? 'store'}: ${info.url}`;
    this.node.appendChild(this.title);
    this.node.appendChild(this.error);
    this.studies = new ListingTable(
      'study',
      study => onOpen({ store: info.id, study, url: info.url, kind: 'study' }),
      study => compareBox(selection, itemOf(info.id, study), 'Compare this study’s best trial')
    );
    this.runs = new ListingTable(
      'run',
      study => onOpen({ store: info.id, study, url: info.url, kind: 'run' }),
      study => compareBox(selection, itemOf(info.id, study), 'Compare this run')
    );
    this.node.appendChild(this.studies.node);
    this.node.appendChild(this.runs.node);
    this.setError(info.error);
  }

  setError(message: string | null): void {
    setText(this.error, message ? `Cannot open this store: ${message}` : '');
    this.error.style.display = message ? '' : 'none';
  }
}

export class WorkbenchPanel extends Widget {
  /** Emitted with the studies and runs that changed (per store) on each live refresh. */
  readonly changed = new Signal<this, IChanges['changed']>(this);
  private readonly content = element('div', 'jp-Workbench-stores');
  private readonly status = element('div', 'jp-Workbench-status');
  private readonly sections = new Map<string, StoreSection>();
  private cursor: string | undefined;
  private timer: number | undefined;
  private polling = false;

  private readonly compareButton = element('button', 'jp-Workbench-button jp-Workbench-compareButton');

  constructor(
    private readonly onOpen: (ref: IStudyRef) => void,
    private readonly selection: CompareSelection = new CompareSelection(),
    onCompare: (items: string[]) => void = () => undefined
  ) {
    super();
    this.id = 'workbench-panel';
    this.addClass('jp-Workbench-panel');
    this.title.caption = 'Workbench: studies and runs';
    const header = element('div', 'jp-Workbench-header');
    header.appendChild(element('span', 'jp-Workbench-heading', 'Workbench'));
    this.compareButton.title = 'Compare the ticked runs, studies (best trial) and trials';
    this.compareButton.addEventListener('click', () => onCompare(this.selection.list()));
    header.appendChild(this.compareButton);
    const showCount = (): void => {
      setText(this.compareButton, `Compare (${this.selection.size})`);
      this.compareButton.disabled = this.selection.size === 0;
    };
    selection.changed.connect(showCount);
    showCount();
    this.node.appendChild(header);
    this.node.appendChild(this.content);
    this.node.appendChild(this.status);
    void this.start();
  }

  /** The listing row of a study or run, if the panel shows it. */
  row(ref: { store: string; study: string }): IStudyRow | undefined {
    const section = this.sections.get(ref.store);
    return section?.studies.data.get(ref.study) ?? section?.runs.data.get(ref.study);
  }

  /** The store's address as shown. */
  storeUrl(store: string): string | undefined {
    return this.sections.get(store)?.info.url;
  }

  /** Fetch everything again (the "Refresh" command). */
  async refresh(): Promise<void> {
    this.cursor = undefined;
    await this.poll();
  }

  dispose(): void {
    if (this.timer !== undefined) {
      window.clearTimeout(this.timer);
    }
    super.dispose();
  }

  private async start(): Promise<void> {
    try {
      const { stores } = await api.stores();
      for (const info of stores) {
        const section = new StoreSection(info, ref => this.onOpen(ref), this.selection);
        this.sections.set(info.id, section);
        this.content.appendChild(section.node);
      }
    } catch (error) {
      this.showStatus(error);
    }
    await this.poll();
  }

  private schedule(): void {
    if (!this.isDisposed) {
      this.timer = window.setTimeout(() => void this.poll(), POLL_INTERVAL);
    }
  }

  private async poll(): Promise<void> {
    if (this.polling) {
      return;
    }
    this.polling = true;
    if (this.timer !== undefined) {
      window.clearTimeout(this.timer);
    }
    try {
      const first = this.cursor === undefined;
      const answer = await api.changes(this.cursor);
      this.cursor = answer.cursor;
      const stores = first
        ? [...this.sections.keys()]
        : answer.changed.filter(entry => entry.names.length).map(entry => entry.store);
      for (const entry of answer.changed) {
        this.sections.get(entry.store)?.setError(entry.error);
      }
      await Promise.all(stores.map(store => this.reload(store)));
      if (!first && answer.changed.length) {
        this.changed.emit(answer.changed);
      }
      this.showStatus(null);
    } catch (error) {
      this.showStatus(error);
    } finally {
      this.polling = false;
      this.schedule();
    }
  }

  private async reload(store: string): Promise<void> {
    const section = this.sections.get(store);
    if (!section) {
      return;
    }
    const [studies, runs] = await Promise.all([
      api.listing('studies', store),
      api.listing('runs', store)
    ]);
    const pick = (listing: IListing) => listing.stores.find(entry => entry.store === store);
    const listedStudies = pick(studies);
    const listedRuns = pick(runs);
    section.setError(listedStudies?.error ?? listedRuns?.error ?? null);
    section.studies.update(listedStudies?.rows ?? []);
    section.runs.update(listedRuns?.rows ?? []);
  }

  private showStatus(error: unknown): void {
    if (error === null) {
      setText(this.status, '');
      this.status.style.display = 'none';
      return;
    }
    const message = error instanceof ApiError ? error.message : String(error);
    setText(this.status, `Not refreshed: ${message}`);
    this.status.style.display = '';
  }
}
