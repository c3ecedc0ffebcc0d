/**
 * Text for values and names, without the DOM: what the study, run and side panel show.
 */

/**
 * A hyperparameter's value as Python writes it: `None`, `True`, `False`, numbers, strings as
 * they are, lists and mappings as JSON.
 */
export function pythonValue(value: unknown): string {
  if (value === null || value === undefined) {
    return 'None';
  }
  if (typeof value === 'boolean') {
    return value ? 'True' : 'False';
  }
  if (typeof value === 'number') {
    return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(6)));
  }
  if (typeof value === 'object') {
    return JSON.stringify(value);
  }
  return String(value);
}

/**
 * A name cut in two for a narrow column: the head (cut with an ellipsis when there is no
 * room) and the tail, always shown, so that names alike at their start differ where they
 * are cut (`run-20261203-0…` never hides which run it is). The tail is about `tail`
 * characters, starting after a separator (`-`, `_`, space, ...) when one is near.
 */
export function splitName(name: string, tail = 13): [string, string] {
  if (name.length <= tail + 4) {
    return [name, ''];
  }
  let cut = name.length - tail;
  for (let at = cut; at >= Math.max(1, cut - 3); at--) {
    if (/[-_ .=/:]/.test(name[at - 1])) {
      cut = at;
      break;
    }
  }
  return [name.slice(0, cut), name.slice(cut)];
}
