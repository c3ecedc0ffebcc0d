/**
 * The number, state, value and best so far of every trial of an open study, kept between
 * refreshes. The best so far is the server's (the store decides it); this file only keeps it.
 *
 * A refresh asks the server only for the trials from the first one not yet finished, passing
 * the best trial before them, so following a study of 10,000 trials while a worker adds to it
 * reads a few rows a second, not all of them again. A finished trial never changes; a study
 * deleted and made again (its first trial started at another time, or it has fewer trials) is
 * read whole again.
 */
import type { IStudyRow, IValues, Plain } from './api';

const UNFINISHED = new Set(['running', 'waiting']);

/** What the next request asks for: trials from `start` on, after the best trial `best`. */
export interface IValuesRequest {
  start: number;
  best?: number;
}

/** The points of a best-so-far plot, as the server sent them. */
export interface IBestPoints {
  /** Complete trials with a value: their numbers and values. */
  trials: { x: number[]; y: number[] };
  /** The best value after each finished trial. */
  best: { x: number[]; y: number[] };
  /** The best trial so far, or null when none has completed. */
  bestTrial: { trial: number; value: number } | null;
}

export class TrialValues {
  columns: string[] = [];
  rows: Plain[][] = [];
  private started: Plain | undefined = undefined;

  /** The next request, given the study's summary row. */
  request(summary: IStudyRow): IValuesRequest {
    if (summary.started !== this.started || (summary.n_trials ?? 0) < this.rows.length) {
      this.clear();
      this.started = summary.started;
    }
    const numberAt = this.columns.indexOf('number');
    const stateAt = this.columns.indexOf('state');
    if (numberAt < 0 || stateAt < 0) {
      return { start: 0 };
    }
    const unfinished = this.rows.find(row => UNFINISHED.has(String(row[stateAt]).toLowerCase()));
    const start = unfinished ? (unfinished[numberAt] as number) : this.rows.length;
    const before = this.rows[start - 1];
    const best = before ? before[this.columns.indexOf('best_number')] : null;
    return typeof best === 'number' ? { start, best } : { start };
  }

  /** Add the server's answer; false when it does not fit what is kept (ask from 0 then). */
  merge(answer: IValues): boolean {
    const numberAt = answer.columns.indexOf('number');
    if (answer.start === 0) {
      this.columns = answer.columns;
      this.rows = answer.rows;
      return true;
    }
    if (numberAt < 0 || answer.columns.join() !== this.columns.join()) {
      this.clear();
      return false;
    }
    const kept = this.rows.filter(row => (row[numberAt] as number) < answer.start);
    if (kept.length !== answer.start) {
      this.clear(); // trial numbers are not 0, 1, 2, ...: nothing to splice onto
      return false;
    }
    this.rows = kept.concat(answer.rows);
    return true;
  }

  /** What the best-so-far plot draws. */
  points(): IBestPoints {
    return bestPoints(this.columns, this.rows);
  }

  private clear(): void {
    this.columns = [];
    this.rows = [];
  }
}

/** The plot's points from the server's columns and rows (see `IBestPoints`). */
export function bestPoints(columns: string[], rows: Plain[][]): IBestPoints {
  const at = (name: string) => columns.indexOf(name);
  const [numberAt, stateAt, valueAt] = [at('number'), at('state'), at('value')];
  const [bestNumberAt, bestValueAt] = [at('best_number'), at('best_value')];
  const points: IBestPoints = { trials: { x: [], y: [] }, best: { x: [], y: [] }, bestTrial: null };
  for (const row of rows) {
    const number = row[numberAt] as number;
    const value = row[valueAt];
    if (row[stateAt] === 'complete' && typeof value === 'number') {
      points.trials.x.push(number);
      points.trials.y.push(value);
    }
    const bestValue = bestValueAt >= 0 ? row[bestValueAt] : null;
    const bestNumber = bestNumberAt >= 0 ? row[bestNumberAt] : null;
    if (typeof bestValue === 'number' && typeof bestNumber === 'number') {
      points.best.x.push(number);
      points.best.y.push(bestValue);
      points.bestTrial = { trial: bestNumber, value: bestValue };
    }
  }
  return points;
}
