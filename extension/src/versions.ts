/**
 * Text for a study's versions and its trials' lineage, without the DOM. What a version is,
 * where it came from and which trials it reused are the store's answers (the listing's
 * `version`, `version_from`, `reused`, `under`; a page's `extends`, `reused_from`,
 * `resumes`, `resumed_by`, `reused_in`); this file only words them, as the store's
 * `lineage_text` does.
 */
import type { IStudyRow, ITrialsPage, Plain } from './api';

/** Whether the listing shows `row` under another row (a later version of its study). */
export function isLaterVersion(row: IStudyRow): boolean {
  return typeof row.under === 'string' && row.under !== '';
}

/** A later version's short label in the listing: `v2 · reused 8`; `v3 · from v1, reused 2`
 * when it did not come from the version just before it (the full note is its tooltip). */
export function versionLabel(row: IStudyRow): string {
  const version = row.version ?? 1;
  const from = row.version_from;
  const parts = [
    typeof from === 'number' && from !== version - 1 ? `from v${from}` : '',
    row.reused ? `reused ${row.reused}` : ''
  ].filter(Boolean);
  return parts.length ? `v${version} · ${parts.join(', ')}` : `v${version}`;
}

/**
 * Where a study's version came from, in words, for its summary and tooltips:
 * `version 2 of 3 of digits · from version 1, reused 8 trials`; empty for a study that has
 * only one version.
 */
export function versionNote(row: IStudyRow): string {
  const version = row.version ?? 1;
  const count = row.versions ?? 1;
  if (count <= 1 && version <= 1) {
    return '';
  }
  const of = `version ${version} of ${count} of ${row.base ?? row.name}`;
  if (typeof row.version_from !== 'number') {
    return of;
  }
  const reused = row.reused ?? 0;
  return `${of} · from version ${row.version_from}, reused ${reused} trial${reused === 1 ? '' : 's'}`;
}

/** The lineage of the trial in row `index` of `page`, in words: `extends 3`,
 * `reused from digits#4`, `resumes 0` (the retry of a trial whose worker died),
 * `resumed by 5`, `reused in v2, v3` (joined by ` · `), or empty. */
export function lineageText(page: ITrialsPage, index: number): string {
  const row = page.rows[index] ?? [];
  const column = (name: string): Plain | undefined => {
    const at = page.columns.indexOf(name);
    return at >= 0 ? row[at] : undefined;
  };
  const extended = page.extends?.[index] ?? column('extends');
  const reusedFrom = page.reused_from?.[index];
  const resumes = page.resumes?.[index] ?? column('resumes');
  const resumedBy = page.resumed_by?.[index] ?? column('resumed_by');
  const reusedIn = column('reused_in');
  const parts: string[] = [];
  if (typeof extended === 'number') {
    parts.push(`extends ${extended}`);
  }
  if (typeof reusedFrom === 'string' && reusedFrom) {
    parts.push(`reused from ${reusedFrom}`);
  }
  if (typeof resumes === 'number') {
    parts.push(`resumes ${resumes}`);
  }
  if (typeof resumedBy === 'number') {
    parts.push(`resumed by ${resumedBy}`);
  }
  if (Array.isArray(reusedIn) && reusedIn.length) {
    parts.push(`reused in ${reusedIn.map(version => `v${String(version)}`).join(', ')}`);
  }
  return parts.join(' · ');
}

/** How the trials of all versions add up, and where each version came from:
 * `3 versions · 25 trials (8 reused, shown once) · v2 from v1 (8 reused) · v3 from v2 (5 reused)`.
 */
export function versionsSummary(versions: IStudyRow[], total: number, reused: number): string {
  const shownOnce = reused ? ` (${reused} reused, shown once)` : '';
  const origins = versions
    .filter(row => typeof row.version_from === 'number')
    .map(row => `v${row.version ?? 1} from v${row.version_from} (${row.reused ?? 0} reused)`);
  return [`${versions.length} versions · ${total} trials${shownOnce}`, ...origins].join(' · ');
}
