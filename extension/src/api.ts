/**
 * The server extension's REST routes (`<base_url>/workbench/api/`), typed.
 *
 * Every request goes through JupyterLab's ServerConnection, which adds the token and XSRF
 * headers; the routes refuse anything without them.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

export type Plain = string | number | boolean | null | Plain[] | { [key: string]: Plain };

export interface IStoreInfo {
  id: string;
  name: string | null;
  url: string;
  kind: string | null;
  opens: boolean;
  error: string | null;
}

/** One row of the studies or runs listing (columns as the store gives them). */
export interface IStudyRow {
  name: string;
  kind?: string;
  metric?: string | null;
  direction?: string | null;
  best_value?: number | null;
  n_trials?: number;
  running?: number;
  complete?: number;
  pruned?: number;
  fail?: number;
  last_change?: string | null;
  /** The study's name without its version (`digits` for `digits@2`). */
  base?: string;
  /** 1 for a study's first version, 2 for `digits@2`, ... */
  version?: number;
  /** The version this one came from (its space changed), null for a first version. */
  version_from?: number | null;
  /** How many trials this version reused from the one it came from. */
  reused?: number;
  /** How many versions of `base` the store holds. */
  versions?: number;
  /** The listing row this version is shown under (the study's first version), else null. */
  under?: string | null;
  [key: string]: Plain | undefined;
}

export interface IListing {
  kind: 'study' | 'run';
  stores: { store: string; url: string; error: string | null; rows: IStudyRow[] }[];
}

export interface IChanges {
  cursor: string;
  changed: { store: string; names: string[]; error: string | null }[];
}

export interface ITable {
  columns: string[];
  rows: Plain[][];
}

/** Number, state and value of the trials numbered `start` and above. */
export interface IValues extends ITable {
  start: number;
}

export interface ITrialsPage extends ITable {
  offset: number;
  limit: number;
  total: number | null;
  /** The columns that hold sampled params (by path). */
  params?: string[];
  /** Per row: the trial it extends (Tuner.extend), else null. */
  extends?: (number | null)[];
  /** Per row: `"study#12"`, the trial of the version before that it reuses, else null. */
  reused_from?: (string | null)[];
  /** Per row: the trial whose worker died and that this retry resumed, else null. */
  resumes?: (number | null)[];
  /** Per row: the retry that resumed this trial after its worker died, else null. */
  resumed_by?: (number | null)[];
}

/** Every version of a study, and a page of all their trials together (each trial once:
 * columns `study` and `version` first, `resumes`, `resumed_by`, `extends` and `reused_in`
 * last). */
export interface IVersionsPage extends ITrialsPage {
  versions: IStudyRow[];
  total: number;
  /** Reused copies left out (they are the trials they copy). */
  reused: number;
}

/** Everything recorded for one trial (the store's TrialRecord as JSON). */
export interface IRecord {
  study: string;
  kind: string;
  number: number;
  state: string;
  value: number | null;
  metric: string | null;
  direction: string | null;
  params: { [key: string]: Plain };
  hyperparams: { [key: string]: Plain };
  history: { columns: string[]; data: Plain[][] } | null;
  structure: Plain;
  mutation_log: { [key: string]: Plain }[];
  error: string | null;
  /** The History's statistic columns (the store's rule), in order: `train_loss` is the
   * `loss` of the `train` split. */
  statistics: { column: string; split: string; name: string }[];
  /** Each statistic's value at the last epoch. */
  final_statistics: { [statistic: string]: number | null };
  /** [epoch, label] where the pipeline mutated or its phase changed. */
  marks: [number, string][];
  /** What is recorded of the trial's kept pipeline (bytes, fitted_on), null when not kept. */
  kept?: { [key: string]: Plain } | null;
  /** The trial this one continued training (Tuner.extend), null for a trial of its own. */
  extends?: number | null;
  /** The trial whose worker died and that this retry resumed, null for a trial of its own. */
  resumes?: number | null;
  /** The retry that resumed this trial after its worker died, else null. */
  resumed_by?: number | null;
}

/** One item of a comparison, as the store describes it. */
export interface IComparedItem {
  label: string;
  store: string;
  kind: string;
  study: string;
  trial: number;
  metric: string | null;
  direction: string | null;
  value: number | null;
  epochs: number;
  duration: number | null;
  state: string;
}

/** Runs and trials side by side (the store's Comparison as JSON). */
export interface IComparison {
  items: IComparedItem[];
  series: {
    label: string;
    statistic: string;
    chart: string;
    split: string;
    epoch: number[];
    value: (number | null)[];
  }[];
  marks: { label: string; epoch: number; mark: string }[];
  differing: { paths: string[]; labels: string[]; rows: Plain[][] };
  structure_diff: { columns: string[]; rows: Plain[][] };
}

/** How much each sampled hyperparam, and each top-level step, mattered (summing to 1). */
export interface IImportance {
  rows: { path: string; step: string; importance: number }[];
  steps: { step: string; importance: number }[];
  message: string | null;
}

/** An error answered by the server, with its JSON message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string
  ) {
    super(message);
  }
}

/** GET one route; `parts` are path segments (escaped here), `params` the query (a list
 * repeats its key: `item=a&item=b`). */
export async function get<T>(
  parts: string[],
  params: { [key: string]: string | number | string[] | undefined } = {}
): Promise<T> {
  const settings = ServerConnection.makeSettings();
  const path = parts.map(part => encodeURIComponent(part)).join('/');
  const query = Object.entries(params)
    .flatMap(([key, value]) =>
      value === undefined ? [] : (Array.isArray(value) ? value : [value]).map(one => [key, one])
    )
    .map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(String(value))}`)
    .join('&');
  const url =
    URLExt.join(settings.baseUrl, 'workbench', 'api', path) + (query ? `?${query}` : '');
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, {}, settings);
  } catch (error) {
    throw new ApiError(0, `The Jupyter server cannot be reached: ${String(error)}`);
  }
  const text = await response.text();
  let data: any = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) {
    const message = data && typeof data.message === 'string' ? data.message : text;
    throw new ApiError(response.status, message || response.statusText);
  }
  return data as T;
}

export const api = {
  stores: () => get<{ stores: IStoreInfo[] }>(['stores']),
  listing: (kind: 'studies' | 'runs', store?: string) =>
    get<IListing>([kind], { store }),
  changes: (since?: string) => get<IChanges>(['changes'], { since }),
  study: (store: string, study: string) =>
    get<{ study: IStudyRow }>(['stores', store, 'studies', study]),
  trials: (
    store: string,
    study: string,
    page: { offset: number; limit: number; sort?: string; descending?: boolean }
  ) =>
    get<ITrialsPage>(['stores', store, 'studies', study, 'trials'], {
      offset: page.offset,
      limit: page.limit,
      sort: page.sort,
      descending: page.sort ? (page.descending ? 1 : 0) : undefined
    }),
  versions: (
    store: string,
    study: string,
    page: { offset: number; limit: number; sort?: string; descending?: boolean }
  ) =>
    get<IVersionsPage>(['stores', store, 'studies', study, 'versions'], {
      offset: page.offset,
      limit: page.limit,
      sort: page.sort,
      descending: page.sort ? (page.descending ? 1 : 0) : undefined
    }),
  values: (store: string, study: string, request: { start: number; best?: number } = { start: 0 }) =>
    get<IValues>(['stores', store, 'studies', study, 'values'], {
      start: request.start || undefined,
      best: request.start ? request.best : undefined
    }),
  record: (store: string, study: string, trial: number) =>
    get<{ record: IRecord }>(['stores', store, 'studies', study, 'trials', String(trial)]),
  compare: (items: string[]) => get<IComparison>(['compare'], { item: items }),
  importance: (store: string, study: string) =>
    get<IImportance>(['stores', store, 'studies', study, 'importance'])
};

/** A value as short text: numbers to 6 significant digits, below 0.001 as 1.23457e-7. */
export function formatValue(value: Plain | undefined): string {
  if (value === null || value === undefined) {
    return '';
  }
  if (typeof value === 'number') {
    if (Number.isInteger(value)) {
      return String(value);
    }
    if (value !== 0 && Math.abs(value) < 1e-3) {
      return value.toExponential(5).replace(/\.?0+e/, 'e');
    }
    return String(Number(value.toPrecision(6)));
  }
  if (typeof value === 'object') {
    return JSON.stringify(value);
  }
  return String(value);
}
