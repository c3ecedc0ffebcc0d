/**
 * One study (or run) in the main area: summary, best so far, learning curves, the trial
 * table (sortable, paged) and the selected trial's History, params and pipeline structure.
 *
 * A live refresh fetches the same page again, and the values of the trials not finished at the
 * last one (values.ts), and redraws in place: plots keep their zoom (Plotly's uirevision), the
 * table keeps its sort, page and selected trial.
 */
import { Widget } from '@lumino/widgets';

import {
  ApiError,
  IImportance,
  IRecord,
  IStudyRow,
  ITrialsPage,
  IVersionsPage,
  Plain,
  api,
  formatValue
} from './api';
import { CompareSelection, compareBox, itemOf } from './compare';
import { IStudyRef, element, setText } from './panel';
import { ITrace, draw, purge, themeColor } from './plot';
import { drawHistory } from './run';
import { showStructure, showTable } from './structure';
import { pythonValue } from './text';
import { TrialValues } from './values';
import { lineageText, versionNote, versionsSummary } from './versions';

export const PAGE_SIZE = 100;

/** Columns too wide for the table; shown elsewhere. */
const HIDDEN_COLUMNS = new Set([
  'study',
  'extends',
  'resumes',
  'resumed_by',
  'reused_in',
  'intermediate_values',
  'datetime_complete',
  'user_attrs',
  'system_attrs'
]);
/** Headers that say more than the column's name. */
const HEADERS: { [column: string]: string } = {
  datetime_start: 'started',
  duration: 'duration (s)'
};
/** Columns shown only when a trial on the page has a value there. */
const OPTIONAL_COLUMNS = new Set(['error', 'values']);

/** An ISO 8601 time from the store as "2026-11-26 11:16:28" (to the second). */
export function formatTime(value: Plain | undefined): string {
  return typeof value === 'string' ? value.replace('T', ' ').replace(/\.\d+$/, '') : '';
}

export interface IBestTrial {
  trial: number;
  value: number | null;
}

export class StudyView extends Widget {
  private readonly heading = element('h2', 'jp-Workbench-studyName');
  private readonly meta = element('div', 'jp-Workbench-meta');
  private readonly versionLine = element('div', 'jp-Workbench-versionNote');
  private readonly versionSwitch = element('label', 'jp-Workbench-versionSwitch');
  private readonly versionsLine = element('div', 'jp-Workbench-versionNote');
  private readonly compareVersions = element('label', 'jp-Workbench-versionSwitch');
  private readonly allVersionsBox = element('input');
  private readonly error = element('div', 'jp-Workbench-error');
  private readonly bestPlot = element('div', 'jp-Workbench-plot jp-Workbench-bestPlot');
  private readonly curvePlot = element('div', 'jp-Workbench-plot jp-Workbench-curvePlot');
  private readonly tableHead = element('thead');
  private readonly tableBody = element('tbody');
  private readonly pager = element('div', 'jp-Workbench-pager');
  private readonly pageLabel = element('span', 'jp-Workbench-pageLabel');
  private readonly previous = element('button', 'jp-Workbench-button', '‹ Previous');
  private readonly next = element('button', 'jp-Workbench-button', 'Next ›');
  private readonly detailTitle = element('h3', 'jp-Workbench-detailTitle');
  private readonly historyPlot = element('div', 'jp-Workbench-plot jp-Workbench-historyPlot');
  private readonly params = element('table', 'jp-Workbench-table jp-Workbench-params');
  private readonly structure = element('div', 'jp-Workbench-structure');
  private readonly importance = element('div', 'jp-Workbench-importance');
  private summary: IStudyRow | null = null;
  private page: ITrialsPage | null = null;
  private offset = 0;
  private sort: string | undefined;
  private descending = false;
  private selected: number | null = null;
  /** The study (version) of the selected trial: this one, or another with All versions. */
  private selectedStudy: string;
  /** Whether the table shows the trials of every version of the study together. */
  private allVersions = false;
  private best: IBestTrial | null = null;
  private readonly values = new TrialValues();
  private loading: Promise<void> | null = null;
  private again = false;

  constructor(
    readonly ref: IStudyRef,
    onInsertCode: (view: StudyView) => void,
    private readonly selection: CompareSelection = new CompareSelection()
  ) {
    super();
    this.selectedStudy = ref.study;
    this.addClass('jp-Workbench-study');
    this.id = `workbench-study-${ref.store}-${encodeURIComponent(ref.study)}`;
    this.title.label = ref.study;
    this.title.caption = `Study ${ref.study} in ${ref.url}`;
    this.title.closable = true;
    setText(this.heading, ref.study);
    const top = element('div', 'jp-Workbench-studyHeader');
    const titles = element('div');
    titles.appendChild(this.heading);
    titles.appendChild(this.meta);
    titles.appendChild(this.versionLine);
    this.allVersionsBox.type = 'checkbox';
    this.allVersionsBox.addEventListener('change', () => {
      this.allVersions = this.allVersionsBox.checked;
      this.offset = 0;
      this.sort = undefined;
      void this.refresh();
    });
    this.versionSwitch.append(this.allVersionsBox, 'All versions in the table');
    this.versionSwitch.title = 'Show the trials of every version of this study together';
    this.versionSwitch.style.display = 'none';
    this.versionLine.style.display = 'none';
    top.appendChild(titles);
    const insert = element('button', 'jp-Workbench-button jp-mod-accept', 'Insert code for the best pipeline');
    insert.title = 'Add a cell to the active notebook that loads this study’s best pipeline';
    insert.addEventListener('click', () => onInsertCode(this));
    top.appendChild(insert);
    this.node.appendChild(top);
    this.node.appendChild(this.error);
    const plots = element('div', 'jp-Workbench-plots');
    plots.appendChild(this.bestPlot);
    plots.appendChild(this.curvePlot);
    this.node.appendChild(plots);
    this.node.appendChild(this.importance);
    const table = element('table', 'jp-Workbench-table jp-Workbench-trials');
    table.appendChild(this.tableHead);
    table.appendChild(this.tableBody);
    const scroller = element('div', 'jp-Workbench-tableScroller');
    scroller.appendChild(table);
    this.previous.addEventListener('click', () => this.turn(-1));
    this.next.addEventListener('click', () => this.turn(1));
    this.pager.appendChild(this.previous);
    this.pager.appendChild(this.pageLabel);
    this.pager.appendChild(this.next);
    const trialsTitle = element('h3', undefined, 'Trials');
    trialsTitle.append(this.versionSwitch, this.compareVersions);
    this.compareVersions.style.display = 'none';
    this.node.appendChild(trialsTitle);
    this.versionsLine.style.display = 'none';
    this.node.appendChild(this.versionsLine);
    this.node.appendChild(this.pager);
    this.node.appendChild(scroller);
    const detail = element('div', 'jp-Workbench-detail');
    detail.appendChild(this.detailTitle);
    detail.appendChild(this.historyPlot);
    const sideBySide = element('div', 'jp-Workbench-detailBody');
    sideBySide.appendChild(this.params);
    sideBySide.appendChild(this.structure);
    detail.appendChild(sideBySide);
    this.node.appendChild(detail);
    this.error.style.display = 'none';
    void this.refresh();
  }

  /** Fetch the summary, the current page and the values again; redraw in place. */
  refresh(): Promise<void> {
    if (this.loading) {
      this.again = true;
      return this.loading;
    }
    this.loading = this.load().finally(() => {
      this.loading = null;
      if (this.again) {
        this.again = false;
        void this.refresh();
      }
    });
    return this.loading;
  }

  dispose(): void {
    for (const node of [this.bestPlot, this.curvePlot, this.historyPlot]) {
      purge(node);
    }
    super.dispose();
  }

  /** Draw the plots again (the theme changed: their colours come from it). */
  redraw(): void {
    if (this.summary && this.page) {
      void this.refresh();
    }
  }

  private async load(): Promise<void> {
    const { store, study } = this.ref;
    try {
      // the page first: a study of many trials shows its first rows before its summary
      const summary = api.study(store, study);
      summary.catch(() => undefined); // awaited below; no unhandled rejection meanwhile
      const request = {
        offset: this.offset,
        limit: PAGE_SIZE,
        sort: this.sort,
        descending: this.descending
      };
      const page = this.allVersions
        ? await api.versions(store, study, request)
        : await api.trials(store, study, request);
      this.page = page;
      this.showTable(page);
      this.showError(null);
      const { study: row } = await summary;
      this.summary = row;
      this.showSummary(row);
      this.showVersions(row, this.allVersions ? (page as IVersionsPage) : null);
      this.showPager(page);
      this.drawCurves(page);
      const values = this.values;
      if (!values.merge(await api.values(store, study, values.request(row)))) {
        values.merge(await api.values(store, study));
      }
      this.drawBest(row);
      this.showImportance(await api.importance(store, study));
      if (this.selected === null && this.best !== null) {
        this.selected = this.best.trial;
        this.selectedStudy = study;
      }
      if (this.selected !== null) {
        await this.showTrial(this.selectedStudy, this.selected);
      }
    } catch (error) {
      this.showError(error);
    }
  }

  /** Each top-level step's and each hyperparam's share, as bars (the store computes them). */
  private showImportance(found: IImportance): void {
    const title = element('h3', undefined, 'Importance');
    if (!found.rows.length) {
      this.importance.replaceChildren(title, element('div', 'jp-Workbench-empty', found.message ?? ''));
      return;
    }
    const table = element('table', 'jp-Workbench-table jp-Workbench-importanceBars');
    const bar = (name: string, share: number, strong: boolean): HTMLTableRowElement => {
      const tr = element('tr');
      const fill = element('span', 'jp-Workbench-bar');
      fill.style.width = `${Math.round(Math.max(0, Math.min(1, share)) * 160)}px`;
      const label = element('td', strong ? 'jp-Workbench-name jp-Workbench-strong' : 'jp-Workbench-name', name);
      const cell = element('td');
      cell.appendChild(fill);
      tr.append(label, cell, element('td', 'jp-Workbench-number', `${Math.round(share * 100)}%`));
      return tr;
    };
    const body = element('tbody');
    found.steps.forEach(step => body.appendChild(bar(step.step || '(pipeline)', step.importance, true)));
    found.rows.forEach(row => body.appendChild(bar(row.path, row.importance, false)));
    table.appendChild(body);
    this.importance.replaceChildren(title, table);
  }

  private showError(error: unknown): void {
    const message = error === null ? '' : error instanceof ApiError ? error.message : String(error);
    setText(this.error, message);
    this.error.style.display = message ? '' : 'none';
  }

  private showSummary(row: IStudyRow): void {
    const parts = [
      row.kind === 'run' ? 'run' : 'study',
      row.metric ? `${row.metric}, ${row.direction ?? ''}` : row.direction ?? '',
      `${formatValue(row.n_trials ?? 0)} trials`,
      row.running ? `${row.running} running` : '',
      row.complete !== undefined ? `${formatValue(row.complete)} complete` : '',
      row.pruned ? `${row.pruned} pruned` : '',
      row.fail ? `${row.fail} failed` : '',
      row.best_value !== null && row.best_value !== undefined
        ? `best ${formatValue(row.best_value)}`
        : '',
      this.ref.url
    ];
    setText(this.meta, parts.filter(Boolean).join(' · '));
  }

  /** Which version this is and where it came from; with All versions, how they add up. */
  private showVersions(row: IStudyRow, together: IVersionsPage | null): void {
    const note = versionNote(row);
    const several = (row.versions ?? 1) > 1;
    setText(this.versionLine, note);
    this.versionLine.style.display = note ? '' : 'none';
    const sum = together ? versionsSummary(together.versions, together.total, together.reused) : '';
    setText(this.versionsLine, sum);
    this.versionsLine.style.display = sum ? '' : 'none';
    this.versionSwitch.style.display = several ? '' : 'none';
    this.compareVersions.style.display = several ? '' : 'none';
    if (several && !this.compareVersions.childElementCount) {
      // the server's `<study>@*`: each version's best complete trial
      const item = itemOf(this.ref.store, `${row.base ?? row.name}@*`);
      const title = 'Compare the best trial of each version of this study';
      this.compareVersions.append(compareBox(this.selection, item, title), 'Compare the versions');
      this.compareVersions.title = title;
    }
  }

  private turn(direction: number): void {
    const total = this.total();
    const offset = this.offset + direction * PAGE_SIZE;
    if (offset < 0 || (total !== null && offset >= total)) {
      return;
    }
    this.offset = offset;
    void this.refresh();
  }

  private total(): number | null {
    return this.page?.total ?? (this.summary?.n_trials as number | undefined) ?? null;
  }

  private showTable(page: ITrialsPage): void {
    const columns = page.columns.filter(
      (column, index) =>
        !HIDDEN_COLUMNS.has(column) &&
        (!OPTIONAL_COLUMNS.has(column) || page.rows.some(row => row[index] !== null))
    );
    const indices = columns.map(column => page.columns.indexOf(column));
    const headRow = element('tr');
    headRow.appendChild(element('th', 'jp-Workbench-compareCell'));
    for (const column of columns) {
      const arrow = column === this.sort ? (this.descending ? ' ▼' : ' ▲') : '';
      const th = element('th', 'jp-Workbench-sortable', column.replace(/^params_/, '') + arrow);
      th.title = `Sort by ${column}`;
      if (column in HEADERS) {
        th.textContent = HEADERS[column] + arrow;
      }
      th.addEventListener('click', () => {
        this.descending = this.sort === column ? !this.descending : false;
        this.sort = column;
        this.offset = 0;
        void this.refresh();
      });
      headRow.appendChild(th);
    }
    this.tableHead.replaceChildren(headRow);
    const numberAt = page.columns.indexOf('number');
    const studyAt = page.columns.indexOf('study');
    const params = new Set(page.params ?? []);
    const lineage = page.rows.map((_, index) => lineageText(page, index));
    const lineageAfter = lineage.some(Boolean) ? columns.indexOf('number') : -2;
    if (lineageAfter >= -1) {
      const th = element('th', undefined, 'lineage');
      th.title =
        'The trial it extends (Tuner.extend), where a version reused it, or the trial a retry ' +
        'resumed after its worker died';
      headRow.insertBefore(th, headRow.children[lineageAfter + 2] ?? null);
    }
    const rows = page.rows.map((row, rowIndex) => {
      const tr = element('tr', 'jp-Workbench-row');
      const number = numberAt >= 0 ? (row[numberAt] as number) : null;
      const study = studyAt >= 0 ? String(row[studyAt]) : this.ref.study;
      const tick = tr.appendChild(element('td', 'jp-Workbench-compareCell'));
      if (number !== null) {
        const item = itemOf(this.ref.store, study, number);
        tick.appendChild(compareBox(this.selection, item, 'Compare this trial'));
        tr.dataset.trial = String(number);
        tr.dataset.study = study;
        tr.classList.toggle(
          'jp-mod-selected',
          number === this.selected && study === this.selectedStudy
        );
        tr.addEventListener('click', () => {
          this.selected = number;
          this.selectedStudy = study;
          for (const other of Array.from(this.tableBody.children)) {
            other.classList.toggle('jp-mod-selected', other === tr);
          }
          void this.showTrial(study, number);
        });
      }
      for (const index of indices) {
        const value = row[index];
        const td = element('td', typeof value === 'number' ? 'jp-Workbench-number' : '');
        const column = page.columns[index];
        td.textContent = column.startsWith('datetime_')
          ? formatTime(value)
          : params.has(column)
            ? pythonValue(value)
            : column === 'version'
              ? `v${formatValue(value)}`
              : formatValue(value);
        tr.appendChild(td);
      }
      if (lineageAfter >= -1) {
        const td = element('td', 'jp-Workbench-lineage', lineage[rowIndex]);
        tr.insertBefore(td, tr.children[lineageAfter + 2] ?? null);
      }
      return tr;
    });
    this.tableBody.replaceChildren(...rows);
    this.showPager(page);
  }

  private showPager(page: ITrialsPage): void {
    const total = this.total();
    const last = this.offset + page.rows.length;
    setText(
      this.pageLabel,
      page.rows.length
        ? `${this.offset + 1}–${last}${total !== null ? ` of ${total}` : ''}`
        : 'no trials yet'
    );
    this.previous.disabled = this.offset === 0;
    this.next.disabled = total !== null ? last >= total : page.rows.length < PAGE_SIZE;
  }

  private drawBest(summary: IStudyRow): void {
    const points = this.values.points();
    this.best = points.bestTrial;
    const metric = summary.metric ? String(summary.metric) : 'value';
    // trial dots in the theme's brand colour, opaque: at least 3:1 against either background
    const dots = themeColor(this.bestPlot, '--jp-brand-color1', '#1976d2');
    const line = themeColor(this.bestPlot, '--jp-warn-color1', '#f57c00');
    void draw(
      this.bestPlot,
      [
        // the line first: the dots are drawn over it, the best trial's too
        { ...points.best, name: 'best so far', mode: 'lines', line: { shape: 'hv', color: line } },
        { ...points.trials, name: 'trial', mode: 'markers', marker: { size: 6, color: dots } }
      ],
      { title: `Best so far (${summary.direction ?? ''})`, x: 'trial', y: metric }
    );
  }

  private drawCurves(page: ITrialsPage): void {
    const at = page.columns.indexOf('intermediate_values');
    const numberAt = page.columns.indexOf('number');
    const studyAt = page.columns.indexOf('study');
    const traces: ITrace[] = [];
    if (at >= 0) {
      for (const row of page.rows) {
        const steps = row[at];
        if (!steps || typeof steps !== 'object' || Array.isArray(steps)) {
          continue;
        }
        const points = Object.entries(steps)
          .map(([step, value]) => [Number(step), value] as [number, Plain])
          .filter(([, value]) => typeof value === 'number')
          .sort((a, b) => a[0] - b[0]);
        if (points.length) {
          traces.push({
            x: points.map(([step]) => step),
            y: points.map(([, value]) => value as number),
            name: `trial ${studyAt >= 0 ? `${String(row[studyAt])}#` : ''}${formatValue(row[numberAt])}`,
            mode: 'lines',
            opacity: 0.7
          });
        }
      }
    }
    const metric = this.summary?.metric ? String(this.summary.metric) : 'value';
    void draw(this.curvePlot, traces, {
      title: 'Learning curves (trials on this page)',
      x: 'epoch',
      y: metric,
      showLegend: false,
      empty: 'Learning curves: no trial on this page reported per-epoch values.'
    });
  }

  private async showTrial(study: string, trial: number): Promise<void> {
    const { store } = this.ref;
    let record: IRecord;
    try {
      record = (await api.record(store, study, trial)).record;
    } catch (error) {
      setText(this.detailTitle, `Trial ${trial}: ${error instanceof ApiError ? error.message : String(error)}`);
      return;
    }
    if (this.selected !== trial || this.selectedStudy !== study) {
      return;
    }
    const best = this.best?.trial === trial && study === this.ref.study ? ', the best' : '';
    const named = study === this.ref.study ? `Trial ${trial}` : `Trial ${study}#${trial}`;
    const failed = record.error ? ` · ${record.error}` : '';
    const lineage =
      (typeof record.extends === 'number' ? ` · extends trial ${record.extends}` : '') +
      (typeof record.resumes === 'number' ? ` · resumes trial ${record.resumes}` : '') +
      (typeof record.resumed_by === 'number' ? ` · resumed by trial ${record.resumed_by}` : '');
    const kept = record.kept ? ' · fitted pipeline kept' : '';
    setText(this.detailTitle, `${named} (${record.state}${best})${lineage}${kept}${failed}`);
    void drawHistory(this.historyPlot, record, 'History');
    const sampled = Object.keys(record.params ?? {}).length > 0;
    const params = sampled ? record.params : record.hyperparams;
    showTable(
      this.params,
      [sampled ? 'Sampled hyperparameter' : 'Hyperparameter', 'Value'],
      Object.entries(params ?? {})
    );
    showStructure(this.structure, record.structure ?? null, record.mutation_log ?? []);
  }
}
