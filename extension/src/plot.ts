/**
 * plotly.js, loaded on first use (it is a large bundle), drawn with the theme's colours.
 *
 * `Plotly.react` with a fixed `uirevision` keeps the user's zoom and legend choices when the
 * data change. Text from the store is escaped first: Plotly reads a few HTML-like tags.
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
}

function themeColor(node: HTMLElement, variable: string, fallback: string): string {
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
  options: { title: string; x: string; y: string; showLegend?: boolean; empty?: string }
): Promise<void> {
  const Plotly = await plotly();
  if (!traces.length) {
    Plotly.purge(node);
    node.textContent = options.empty ?? `${options.title}: nothing to draw yet`;
    node.classList.add('jp-Workbench-plotEmpty');
    return;
  }
  if (node.classList.contains('jp-Workbench-plotEmpty')) {
    node.classList.remove('jp-Workbench-plotEmpty');
    node.textContent = '';
  }
  const font = themeColor(node, '--jp-ui-font-color1', '#222');
  const grid = themeColor(node, '--jp-border-color2', '#ddd');
  const layout = {
    title: { text: plotText(options.title), font: { size: 13 } },
    uirevision: 'keep',
    autosize: true,
    height: 260,
    margin: { l: 55, r: 10, t: 32, b: 40 },
    paper_bgcolor: 'rgba(0,0,0,0)',
    plot_bgcolor: 'rgba(0,0,0,0)',
    font: { color: font, size: 11 },
    showlegend: options.showLegend ?? traces.length > 1,
    legend: { orientation: 'v', font: { size: 10 } },
    xaxis: { title: { text: plotText(options.x) }, gridcolor: grid, zeroline: false },
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

export function purge(node: HTMLElement): void {
  if (loading) {
    void loading.then(Plotly => Plotly.purge(node));
  }
}
