/**
 * The code cell that loads a study's trial: its kept pipeline when the study kept it (loaded as
 * it was trained, no variable to guess), else its params set on a clone of a notebook variable
 * whose pipeline has every path the params name, as the kernel answered.
 *
 * Names and addresses from the store become Python string literals through JSON.stringify
 * (a JSON string is a valid Python string literal), so no name can break out of its quotes.
 */
import { formatValue } from './api';
import { IPipelineCheck } from './kernel';

export interface IBest {
  url: string;
  study: string;
  trial: number;
  value: number | null;
  metric: string | null;
  direction: string | null;
  /** Whether the study kept this trial's fitted pipeline (the store's record says). */
  kept: boolean;
  /** The hyperparam paths the trial's params name. */
  paths: string[];
  /** Whether it is the study's best trial (else the trial chosen in the study view). */
  best: boolean;
}

function comment(text: string): string {
  return text.replace(/[\r\n]+/g, ' ');
}

function quoted(names: string[]): string {
  return names.map(name => `\`${name}\``).join(', ');
}

function title(best: IBest): string {
  const metric = best.metric ? `${best.metric} = ` : 'value ';
  const which = best.best ? 'Best pipeline' : `Pipeline of trial ${best.trial}`;
  return (
    `# ${which} of the Workbench study ${comment(JSON.stringify(best.study))}: trial ` +
    `${best.trial}, ${comment(metric)}${formatValue(best.value)}` +
    (best.direction ? ` (${comment(best.direction)})` : '') +
    '.'
  );
}

function keptCode(best: IBest): string[] {
  return [
    '# The study kept this trial\u2019s fitted pipeline: it is loaded as it was trained.',
    'from workbench.tuning import load_trial',
    '',
    `best_pipeline = load_trial(${JSON.stringify(best.study)}, ${best.trial}, ` +
      `storage=${JSON.stringify(best.url)})`,
    'best_pipeline'
  ];
}

function paramsLines(best: IBest): string[] {
  return [
    'from workbench.store import open_store',
    '',
    `best_params = open_store(${JSON.stringify(best.url)}, readonly=True).record(`,
    `    ${JSON.stringify(best.study)}, trial=${best.trial}`,
    ').params'
  ];
}

/** Which variable the params go on, and a comment that says only what was checked. */
function chooseVariable(check: IPipelineCheck | null): [string | null, string] {
  if (check === null) {
    return [
      'pipe',
      '# The kernel did not answer (busy?), so no variable was checked: `pipe` stands for the ' +
        'pipeline the study tuned; rename it if yours has another name.'
    ];
  }
  // the cell assigns best_pipeline: a pipeline of another name goes first
  const fitting = check.pipelines
    .filter(name => check.missing[name] === 0)
    .sort((a, b) => Number(a === 'best_pipeline') - Number(b === 'best_pipeline'));
  if (fitting.length === 1) {
    return [fitting[0], `# \`${fitting[0]}\` has every hyperparam the study tuned (checked in the kernel).`];
  }
  if (fitting.length > 1) {
    return [
      fitting[0],
      `# ${quoted(fitting)} all have every hyperparam the study tuned (checked in the kernel); ` +
        `this uses \`${fitting[0]}\`.`
    ];
  }
  if (check.pipelines.length === 0) {
    return [null, '# No variable in this notebook holds a Workbench pipeline (checked in the kernel).'];
  }
  const lacking = check.pipelines.map(name => `\`${name}\` lacks ${check.missing[name]}`).join(', ');
  return [
    null,
    `# No pipeline in this notebook has every hyperparam the study tuned (checked in the ` +
      `kernel: ${lacking}).`
  ];
}

export function bestPipelineCode(best: IBest, check: IPipelineCheck | null = null): string {
  if (best.kept) {
    return [title(best), ...keptCode(best)].join('\n');
  }
  const [pipeline, note] = chooseVariable(check);
  const lines = [
    title(best),
    '# The study did not keep this trial\u2019s fitted pipeline: its params go on a clone of ' +
      'the pipeline the study tuned.',
    note,
    'from sklearn.base import clone',
    ...paramsLines(best)
  ];
  if (pipeline) {
    return [...lines, `best_pipeline = clone(${pipeline}).set_hyperparams(best_params)`, 'best_pipeline'].join(
      '\n'
    );
  }
  return [
    ...lines,
    'print(',
    '    "No pipeline here has every hyperparam the study tuned: define it, then run "',
    '    "best_pipeline = clone(<your pipeline>).set_hyperparams(best_params)"',
    ')',
    'best_params'
  ].join('\n');
}
