/**
 * One run in the main area, shown as a run: its History (train dashed, valid solid, one colour
 * per statistic, marks where the pipeline changed), final statistics, hyperparams, structure
 * and mutation log. No best-so-far plot, no trial table: a run is one fit, not a study.
 */
import { Widget } from '@lumino/widgets';

import { ApiError, IRecord, api } from './api';
import { IStudyRef, element, setText } from './panel';
import { ITrace, draw, purge } from './plot';
import { showStructure, showTable } from './structure';

/** Plotly's default colours, one per statistic. */
const COLOURS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2'];

/** Draw a record's History: the statistics the server named, with its marks. */
export function drawHistory(node: HTMLElement, record: IRecord, title: string): Promise<void> {
  const history = record.history;
  const traces: ITrace[] = [];
  if (history && Array.isArray(history.columns)) {
    const epochAt = history.columns.indexOf('epoch');
    const xs = history.data.map((row, index) =>
      epochAt >= 0 && typeof row[epochAt] === 'number' ? (row[epochAt] as number) : index + 1
    );
    const statistics = record.statistics ?? [];
    const names = [...new Set(statistics.map(statistic => statistic.name))];
    const colours = new Map(names.map((name, i) => [name, COLOURS[i % COLOURS.length]]));
    for (const { column, split, name } of statistics) {
      const index = history.columns.indexOf(column);
      const ys = history.data.map(row => (typeof row[index] === 'number' ? (row[index] as number) : null));
      if (index >= 0 && ys.some(value => value !== null)) {
        const colour = colours.get(name);
        traces.push({
          x: xs,
          y: ys,
          name: column,
          legendgroup: name,
          line: { color: colour, dash: split === 'train' ? 'dash' : 'solid' },
          marker: { color: colour, size: 5 }
        });
      }
    }
  }
  return draw(node, traces, {
    title,
    x: 'epoch',
    y: '',
    showLegend: true,
    marks: (record.marks ?? []).map(([x, label]) => ({ x, label })),
    empty: `${title}: none recorded (it was scored without epochs).`
  });
}

export class RunView extends Widget {
  private readonly heading = element('h2', 'jp-Workbench-studyName');
  private readonly meta = element('div', 'jp-Workbench-meta');
  private readonly error = element('div', 'jp-Workbench-error');
  private readonly historyPlot = element('div', 'jp-Workbench-plot jp-Workbench-historyPlot');
  private readonly finals = element('table', 'jp-Workbench-table jp-Workbench-finals');
  private readonly params = element('table', 'jp-Workbench-table jp-Workbench-params');
  private readonly structure = element('div', 'jp-Workbench-structure');
  private loading: Promise<void> | null = null;

  constructor(readonly ref: IStudyRef) {
    super();
    this.addClass('jp-Workbench-study');
    this.addClass('jp-Workbench-run');
    this.id = `workbench-run-${ref.store}-${encodeURIComponent(ref.study)}`;
    this.title.label = ref.study;
    this.title.caption = `Run ${ref.study} in ${ref.url}`;
    this.title.closable = true;
    setText(this.heading, ref.study);
    const top = element('div', 'jp-Workbench-studyHeader');
    const titles = element('div');
    titles.appendChild(this.heading);
    titles.appendChild(this.meta);
    top.appendChild(titles);
    this.node.appendChild(top);
    this.node.appendChild(this.error);
    const plots = element('div', 'jp-Workbench-plots jp-Workbench-runPlots');
    plots.appendChild(this.historyPlot);
    this.node.appendChild(plots);
    const sideBySide = element('div', 'jp-Workbench-detailBody');
    const tables = element('div', 'jp-Workbench-runTables');
    tables.appendChild(this.finals);
    tables.appendChild(this.params);
    sideBySide.appendChild(tables);
    sideBySide.appendChild(this.structure);
    this.node.appendChild(sideBySide);
    this.error.style.display = 'none';
    void this.refresh();
  }

  /** Fetch the run's record again and redraw in place. */
  refresh(): Promise<void> {
    if (!this.loading) {
      this.loading = this.load().finally(() => (this.loading = null));
    }
    return this.loading;
  }

  /** Draw the plot again (the theme changed: its colours come from it). */
  redraw(): void {
    void this.refresh();
  }

  dispose(): void {
    purge(this.historyPlot);
    super.dispose();
  }

  private async load(): Promise<void> {
    const { store, study } = this.ref;
    let record: IRecord;
    try {
      record = (await api.record(store, study, 0)).record;
    } catch (error) {
      setText(this.error, error instanceof ApiError ? error.message : String(error));
      this.error.style.display = '';
      return;
    }
    this.error.style.display = 'none';
    const epochs = record.history?.data.length ?? 0;
    const state = record.state === 'complete' ? 'done' : record.state === 'fail' ? 'failed' : record.state;
    const parts = [
      'run',
      state,
      `${epochs} epoch${epochs === 1 ? '' : 's'}`,
      record.metric ? `${record.metric}, ${record.direction ?? ''}` : '',
      record.error ?? '',
      this.ref.url
    ];
    setText(this.meta, parts.filter(Boolean).join(' · '));
    const finals = Object.entries(record.final_statistics ?? {});
    showTable(this.finals, ['Final statistic', 'Value'], finals);
    this.finals.style.display = finals.length ? '' : 'none';
    showTable(this.params, ['Hyperparameter', 'Value'], Object.entries(record.hyperparams ?? {}));
    showStructure(this.structure, record.structure ?? null, record.mutation_log ?? []);
    await drawHistory(this.historyPlot, record, 'History');
  }
}
