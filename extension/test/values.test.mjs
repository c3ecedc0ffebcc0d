// Unit tests of what logic remains in the Lab panel: keeping the server's values between
// refreshes (values.ts) and cutting names (text.ts). Run by `npm test` (node's test runner).
import assert from 'node:assert/strict';
import test from 'node:test';

import values from '../lib-test/values.js';
import text from '../lib-test/text.js';

const { TrialValues, bestPoints } = values;
const { pythonValue, splitName } = text;

const COLUMNS = ['number', 'state', 'value', 'best_number', 'best_value'];
const SUMMARY = { name: 's', started: '2026-12-03T08:00:00', n_trials: 4 };

function answer(start, rows, columns = COLUMNS) {
  return { start, columns, rows };
}

test('a first answer is kept whole and the next request starts at the first unfinished trial', () => {
  const kept = new TrialValues();
  assert.deepEqual(kept.request(SUMMARY), { start: 0 });
  assert.equal(
    kept.merge(
      answer(0, [
        [0, 'complete', 0.5, 0, 0.5],
        [1, 'complete', 0.7, 1, 0.7],
        [2, 'running', null, null, null],
        [3, 'complete', 0.6, 1, 0.7]
      ])
    ),
    true
  );
  // from trial 2 on, after the best trial before it (1): the server continues from there
  assert.deepEqual(kept.request(SUMMARY), { start: 2, best: 1 });
});

test('a later answer is spliced on after the trials kept before its start', () => {
  const kept = new TrialValues();
  kept.request(SUMMARY);
  kept.merge(answer(0, [[0, 'complete', 0.5, 0, 0.5], [1, 'running', null, null, null]]));
  assert.deepEqual(kept.request(SUMMARY), { start: 1, best: 0 });
  assert.equal(kept.merge(answer(1, [[1, 'complete', 0.9, 1, 0.9], [2, 'fail', null, 1, 0.9]])), true);
  assert.deepEqual(kept.rows.map(row => row[0]), [0, 1, 2]);
  assert.deepEqual(kept.request(SUMMARY), { start: 3, best: 1 });
});

test('an answer that does not fit what is kept is refused, and the next request is from 0', () => {
  const kept = new TrialValues();
  kept.request(SUMMARY);
  kept.merge(answer(0, [[0, 'complete', 0.5, 0, 0.5]]));
  assert.equal(kept.merge(answer(1, [[1, 'complete', 0.4]], ['number', 'state', 'value'])), false);
  assert.deepEqual(kept.rows, []);
  assert.deepEqual(kept.request(SUMMARY), { start: 0 });
  kept.merge(answer(0, [[0, 'complete', 0.5, 0, 0.5]]));
  // trial numbers with a gap: nothing to splice onto
  assert.equal(kept.merge(answer(3, [[3, 'complete', 0.4, 3, 0.4]])), false);
});

test('a study made again (another start time, fewer trials) is read whole again', () => {
  const kept = new TrialValues();
  kept.request(SUMMARY);
  kept.merge(answer(0, [[0, 'complete', 0.5, 0, 0.5], [1, 'complete', 0.6, 1, 0.6]]));
  assert.deepEqual(kept.request({ ...SUMMARY, started: '2026-12-03T09:00:00' }), { start: 0 });
  kept.merge(answer(0, [[0, 'complete', 0.5, 0, 0.5], [1, 'complete', 0.6, 1, 0.6]]));
  assert.deepEqual(kept.request({ ...SUMMARY, started: '2026-12-03T09:00:00', n_trials: 1 }), {
    start: 0
  });
});

test('the plot draws the server best so far and complete trials only, deciding nothing', () => {
  const points = bestPoints(COLUMNS, [
    [0, 'fail', null, null, null],
    [1, 'complete', 0.5, 1, 0.5],
    [2, 'pruned', null, 1, 0.5],
    [3, 'complete', 0.2, 3, 0.2],
    [4, 'running', null, null, null]
  ]);
  assert.deepEqual(points.trials, { x: [1, 3], y: [0.5, 0.2] });
  assert.deepEqual(points.best, { x: [1, 2, 3], y: [0.5, 0.5, 0.2] });
  assert.deepEqual(points.bestTrial, { trial: 3, value: 0.2 });
  assert.equal(bestPoints(COLUMNS, [[0, 'running', null, null, null]]).bestTrial, null);
});

test('values read as Python writes them: None is None, not blank', () => {
  assert.equal(pythonValue(null), 'None');
  assert.equal(pythonValue(true), 'True');
  assert.equal(pythonValue(0.0001), '0.0001');
  assert.equal(pythonValue('log_loss'), 'log_loss');
  assert.equal(pythonValue([1, 2]), '[1,2]');
});

test('names alike at their start keep their distinguishing end apart', () => {
  const [headA, tailA] = splitName('run-20261203-084512-a1b2c3');
  const [headB, tailB] = splitName('run-20261203-084530-ffee00');
  assert.equal(headA + tailA, 'run-20261203-084512-a1b2c3');
  assert.notEqual(tailA, tailB);
  assert.equal(tailA, '084512-a1b2c3');
  assert.deepEqual(splitName('sgd-classifier'), ['sgd-classifier', '']);
  // the tail starts after a separator near the cut, not inside a word
  assert.deepEqual(splitName('my-study-with-a-long-name_2'), ['my-study-with-', 'a-long-name_2']);
  assert.deepEqual(splitName('abcdefghijklmnopqrstuvwxyz'), ['abcdefghijklm', 'nopqrstuvwxyz']);
});
