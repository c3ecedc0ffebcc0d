/**
 * The number, state and value of every trial of an open study, kept between refreshes.
 *
 * A refresh asks the server only for the trials from the first one not yet finished, so
 * following a study of 10,000 trials while a worker adds to it reads a few rows a second,
 * not all of them again. A finished trial never changes; a study deleted and made again (its
 * first trial started at another time, or it has fewer trials) is read whole again.
 */
import { IStudyRow, IValues, Plain } from './api';

const UNFINISHED = new Set(['running', 'waiting']);

export class TrialValues {
  columns: string[] = [];
  rows: Plain[][] = [];
  private started: Plain | undefined = undefined;

  /** The first trial number to ask for, given the study's summary row. */
  start(summary: IStudyRow): number {
    if (summary.started !== this.started || (summary.n_trials ?? 0) < this.rows.length) {
      this.clear();
      this.started = summary.started;
    }
    const numberAt = this.columns.indexOf('number');
    const stateAt = this.columns.indexOf('state');
    if (numberAt < 0 || stateAt < 0) {
      return 0;
    }
    const unfinished = this.rows.find(row => UNFINISHED.has(String(row[stateAt]).toLowerCase()));
    return unfinished ? (unfinished[numberAt] as number) : this.rows.length;
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

  private clear(): void {
    this.columns = [];
    this.rows = [];
  }
}
