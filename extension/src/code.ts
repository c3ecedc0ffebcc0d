/**
 * The code cell that loads a study's best pipeline: the best trial's params, read from the
 * store, set on a clone of the pipeline the study tuned.
 *
 * Names and addresses from the store become Python string literals through JSON.stringify
 * (a JSON string is a valid Python string literal), so no name can break out of its quotes.
 */
import { formatValue } from './api';

export interface IBest {
  url: string;
  study: string;
  trial: number;
  value: number | null;
  metric: string | null;
  direction: string | null;
}

function comment(text: string): string {
  return text.replace(/[\r\n]+/g, ' ');
}

/**
 * What the pipeline the study tuned is called in the notebook: `pipe` when that variable holds
 * a Workbench pipeline (or nothing says otherwise), else the first of those that do.
 */
function pipelineLine(names: string[]): [string, string] {
  if (names.length === 0 || names.includes('pipe')) {
    return [
      'pipe',
      '# `pipe` is the pipeline the study tuned; rename it here if yours has another name.'
    ];
  }
  if (names.length === 1) {
    return [names[0], `# \`${names[0]}\` is this notebook's Workbench pipeline, the one the study tuned.`];
  }
  const listed = names.map(name => `\`${name}\``).join(', ');
  return [
    names[0],
    `# This notebook holds several Workbench pipelines (${listed}); name the one the study tuned.`
  ];
}

export function bestPipelineCode(best: IBest, pipelines: string[] = []): string {
  const metric = best.metric ? `${best.metric} = ` : 'value ';
  const [pipeline, note] = pipelineLine(pipelines);
  return [
    `# Best pipeline of the Workbench study ${comment(JSON.stringify(best.study))}: trial ` +
      `${best.trial}, ${comment(metric)}${formatValue(best.value)}` +
      (best.direction ? ` (${comment(best.direction)})` : '') +
      '.',
    note,
    'from sklearn.base import clone',
    '',
    'from workbench.store import open_store',
    '',
    `best_params = open_store(${JSON.stringify(best.url)}, readonly=True).record(`,
    `    ${JSON.stringify(best.study)}, trial=${best.trial}`,
    ').params',
    `best_pipeline = clone(${pipeline}).set_hyperparams(best_params)`,
    'best_pipeline'
  ].join('\n');
}
