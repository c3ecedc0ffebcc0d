/**
 * plotly.js, loaded on first use (it is a large bundle), drawn with the theme's colours.
 *
 * `Plotly.react` with a fixed `uirevision` keeps the user's zoom and legend choices when the
 * data change. Text from the store is escaped first: Plotly reads a few HTML-like tags. A
 * chart's title is a heading above the chart, never inside it, so Plotly's toolbar (top right
 * of the chart) cannot cover it.
 */

type PlotlyModule = {
  react: (node: HTMLElement, data: object[], layout: object, config: object) => Promise<unknown>;
  purge: (node: HTMLElement) => void;
  Plots: { resize: (node: HTMLElement) => void };
};

let loading: Promise<PlotlyModule> | null = null;

function plotly(): Promise<PlotlyModule> {
  if (!loading) {
    loading = import('plotly.js-basic-dist-min').then(
      module => ((module as any).default ?? module) as PlotlyModule
    );
  }
  return loading;
}

/** Text from the store, safe to hand to Plotly (which reads <b>, <a href>, ...). */
export function plotText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export interface ITrace {
  x: (number | null)[];
  y: (number | null)[];
  name: string;
  mode?: string;
  line?: object;
  marker?: object;
  opacity?: number;
  legendgroup?: string;
  showlegend?: boolean;
}

/** A vertical mark across a chart: where a run's pipeline changed. */
export interface IMark {
  x: number;
  label: string;
}

export function themeColor(node: HTMLElement, variable: string, fallback: string): string {
  const value = getComputedStyle(node).getPropertyValue(variable).trim();
  return value || fallback;
}

/**
 * Draw ``traces`` in ``node`` (in place: zoom kept); with no trace, say ``empty`` instead of
 * drawing empty axes.
 */
export async function draw(
  node: HTMLElement,
  traces: ITrace[],
  options: {
    title: string;
    x: string;
    y: string;
    showLegend?: boolean;
    empty?: string;
    marks?: IMark[];
  }
): Promise<void> {
  const Plotly = await plotly();
  const title = titleOf(node);
  if (!traces.length) {
    Plotly.purge(node);
    title.textContent = '';
    title.style.display = 'none';
    node.textContent = options.empty ?? `${options.title}: nothing to draw yet`;
    node.classList.add('jp-Workbench-plotEmpty');
    return;
  }
  title.textContent = options.title;
  title.style.display = '';
  if (node.classList.contains('jp-Workbench-plotEmpty')) {
    node.classList.remove('jp-Workbench-plotEmpty');
    node.textContent = '';
  }
  const font = themeColor(node, '--jp-ui-font-color1', '#222');
  const grid = themeColor(node, '--jp-border-color2', '#ddd');
  const marks = options.marks ?? [];
  const layout = {
    uirevision: 'keep',
    autosize: true,
    height: 260,
    margin: { l: 55, r: 10, t: marks.length ? 34 : 26, b: 40 },
    modebar: { bgcolor: 'rgba(0,0,0,0)', color: grid, activecolor: font },
    shapes: marks.map(mark => ({
      type: 'line',
      xref: 'x',
      yref: 'paper',
      x0: mark.x,
      x1: mark.x,
      y0: 0,
      y1: 1,
      line: { color: font, width: 1, dash: 'dot' }
    })),
    annotations: marks.map(mark => ({
      x: mark.x,
      y: 1,
      xref: 'x',
      yref: 'paper',
      yanchor: 'bottom',
      xanchor: 'left',
      showarrow: false,
      text: plotText(mark.label),
      font: { size: 10, color: font }
    })),
    paper_bgcolor: 'rgba(0,0,0,0)',
    plot_bgcolor: 'rgba(0,0,0,0)',
    font: { color: font, size: 11 },
    showlegend: options.showLegend ?? traces.length > 1,
    legend: { orientation: 'v', font: { size: 10 } },
    xaxis: {
      title: { text: plotText(options.x) },
      gridcolor: grid,
      zeroline: false,
      dtick: wholeStep(traces) // epochs and trials are whole numbers: no tick at 2.5
    },
    yaxis: { title: { text: plotText(options.y) }, gridcolor: grid, zeroline: false }
  };
  const data = traces.map(trace => ({
    type: 'scatter',
    mode: trace.mode ?? 'lines+markers',
    ...trace,
    name: plotText(trace.name)
  }));
  await Plotly.react(node, data, layout, { displaylogo: false, responsive: true });
}

/** A step between x ticks that is a whole number (1, 2, 5, 10, 20, ...), about 8 ticks. */
function wholeStep(traces: ITrace[]): number {
  const xs = traces.flatMap(trace => trace.x.filter((x): x is number => typeof x === 'number'));
  const span = xs.length ? Math.max(...xs) - Math.min(...xs) : 0;
  const rough = Math.max(1, span / 8);
  const power = 10 ** Math.floor(Math.log10(rough));
  return [1, 2, 5, 10].map(m => m * power).find(step => step >= rough) ?? 10 * power;
}

/** The heading above a chart (made on first use, just before it). */
function titleOf(node: HTMLElement): HTMLElement {
  const previous = node.previousElementSibling;
  if (previous instanceof HTMLElement && previous.classList.contains('jp-Workbench-plotTitle')) {
    return previous;
  }
  const frame = document.createElement('div');
  frame.className = 'jp-Workbench-plotFrame';
  const title = document.createElement('div');
  title.className = 'jp-Workbench-plotTitle';
  node.replaceWith(frame);
  frame.appendChild(title);
  frame.appendChild(node);
  return title;
}

export function purge(node: HTMLElement): void {
  if (loading) {
    void loading.then(Plotly => Plotly.purge(node));
  }
}
