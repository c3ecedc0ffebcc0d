// Unit tests of how the Lab panel words a study's versions and its trials' lineage
// (versions.ts): what a version is and which trials were reused is the store's answer.
import assert from 'node:assert/strict';
import test from 'node:test';

import versions from '../lib-test/versions.js';

const { isLaterVersion, versionLabel, versionNote, lineageText, versionsSummary } = versions;

const FIRST = { name: 'digits', base: 'digits', version: 1, version_from: null, reused: 0, versions: 3, under: null };
const SECOND = { name: 'digits@2', base: 'digits', version: 2, version_from: 1, reused: 8, versions: 3, under: 'digits' };
const ALONE = { name: 'iris', base: 'iris', version: 1, version_from: null, reused: 0, versions: 1, under: null };

test('a later version is drawn under its study, labelled with where it came from', () => {
  assert.equal(isLaterVersion(SECOND), true);
  assert.equal(isLaterVersion(FIRST), false);
  assert.equal(isLaterVersion({ name: 'old-server-row' }), false);
  assert.equal(versionLabel(SECOND), 'v2 · reused 8');
  assert.equal(versionLabel({ ...SECOND, reused: 0 }), 'v2');
  // from a version other than the one just before: said
  assert.equal(versionLabel({ ...SECOND, version: 3, version_from: 1, reused: 2 }), 'v3 · from v1, reused 2');
});

test('a version note says which version, of how many, from where, reusing how many', () => {
  assert.equal(versionNote(SECOND), 'version 2 of 3 of digits · from version 1, reused 8 trials');
  assert.equal(versionNote({ ...SECOND, reused: 1 }), 'version 2 of 3 of digits · from version 1, reused 1 trial');
  assert.equal(versionNote(FIRST), 'version 1 of 3 of digits');
  assert.equal(versionNote(ALONE), '');
});

test('lineage comes from a page: extends, reused from, reused in', () => {
  const page = {
    columns: ['number', 'state'],
    rows: [[0, 'complete'], [1, 'complete'], [2, 'complete']],
    offset: 0,
    limit: 100,
    total: null,
    extends: [null, 0, null],
    reused_from: ['digits#4', null, null]
  };
  assert.deepEqual([0, 1, 2].map(i => lineageText(page, i)), ['reused from digits#4', 'extends 0', '']);
  const together = {
    columns: ['study', 'version', 'number', 'extends', 'reused_in'],
    rows: [['digits', 1, 3, null, [2, 3]], ['digits@2', 2, 5, 2, []]],
    offset: 0,
    limit: 100,
    total: 2
  };
  assert.deepEqual([0, 1].map(i => lineageText(together, i)), ['reused in v2, v3', 'extends 2']);
});

test('lineage says which trial a retry resumes and which retry resumed a dead worker\'s trial', () => {
  const page = {
    columns: ['number', 'state'],
    rows: [[0, 'fail'], [1, 'fail'], [2, 'complete'], [3, 'complete']],
    offset: 0,
    limit: 100,
    total: null,
    extends: [null, null, null, 2],
    reused_from: [null, null, null, null],
    resumes: [null, 0, 1, null],
    resumed_by: [1, 2, null, null]
  };
  // the words and their order are the store's lineage_text
  assert.deepEqual([0, 1, 2, 3].map(i => lineageText(page, i)), [
    'resumed by 1',
    'resumes 0 · resumed by 2',
    'resumes 1',
    'extends 2'
  ]);
  const together = {
    columns: ['study', 'version', 'number', 'resumes', 'resumed_by', 'extends', 'reused_in'],
    rows: [['digits', 1, 0, null, 1, null, [2]], ['digits', 1, 1, 0, null, null, []]],
    offset: 0,
    limit: 100,
    total: 2
  };
  assert.deepEqual([0, 1].map(i => lineageText(together, i)), ['resumed by 1 · reused in v2', 'resumes 0']);
});

test('the versions together add up, reused trials counted once', () => {
  assert.equal(
    versionsSummary([FIRST, SECOND], 18, 8),
    '2 versions · 18 trials (8 reused, shown once) · v2 from v1 (8 reused)'
  );
  assert.equal(versionsSummary([FIRST, { ...SECOND, reused: 0 }], 10, 0), '2 versions · 10 trials · v2 from v1 (0 reused)');
});
