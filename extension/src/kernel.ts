/**
 * Which of the notebook's variables hold a Workbench pipeline, asked of its kernel.
 *
 * One silent request with a user expression (no output, no history, no execution count); the
 * expression reads the kernel's globals and imports nothing. A kernel that is busy (a long
 * training cell) or not a Python one answers nothing within the wait, and the inserted code
 * then names the usual `pipe`.
 */
import { NotebookPanel } from '@jupyterlab/notebook';

const WAIT_MS = 2000;

const PIPELINES =
  "' '.join(sorted(name for name, value in globals().items() if not name.startswith('_')" +
  " and type(value).__name__ == 'Pipeline'" +
  " and type(value).__module__.split('.')[0] == 'workbench'))";

export async function pipelineNames(panel: NotebookPanel): Promise<string[]> {
  const kernel = panel.sessionContext.session?.kernel;
  if (!kernel) {
    return [];
  }
  const asked = kernel
    .requestExecute({
      code: '',
      silent: true,
      store_history: false,
      user_expressions: { names: PIPELINES }
    })
    .done.then(reply => {
      const content = reply.content as {
        status: string;
        user_expressions?: { [key: string]: { status: string; data?: { [mime: string]: string } } };
      };
      const answer = content.user_expressions?.names;
      const text = answer?.status === 'ok' ? answer.data?.['text/plain'] ?? '' : '';
      // the repr of a str of identifiers separated by spaces: no quote can be inside it
      return text
        .replace(/^['"]|['"]$/g, '')
        .split(' ')
        .filter(name => /^[A-Za-z_][A-Za-z0-9_]*$/.test(name));
    })
    .catch(() => [] as string[]);
  const late = new Promise<string[]>(resolve => setTimeout(() => resolve([]), WAIT_MS));
  return Promise.race([asked, late]);
}
