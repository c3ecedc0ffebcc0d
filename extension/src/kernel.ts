/**
 * Which of the notebook's variables hold a Workbench pipeline, and which of those have every
 * hyperparam path a study tuned, asked of its kernel.
 *
 * One silent request with a user expression (no output, no history, no execution count); the
 * expression reads the kernel's globals and imports nothing. A kernel that is busy (a long
 * training cell) or not a Python one answers nothing within the wait: the answer is then null,
 * and the inserted code says that nothing was checked.
 */
import { NotebookPanel } from '@jupyterlab/notebook';

const WAIT_MS = 2000;

/** The notebook's Workbench pipelines, and how many of the asked paths each one lacks. */
export interface IPipelineCheck {
  pipelines: string[];
  missing: { [name: string]: number };
}

/**
 * A Python expression: `name=count` for each variable holding a Workbench pipeline, `count`
 * the number of `paths` its get_hyperparams() lacks. The paths are a JSON array of strings,
 * which is a valid Python list of str literals.
 */
function expression(paths: string[]): string {
  return (
    '(lambda paths: " ".join(f"{name}={sum(path not in value.get_hyperparams() for path in paths)}"' +
    ' for name, value in sorted(globals().items()) if not name.startswith("_")' +
    ' and type(value).__name__ == "Pipeline"' +
    ' and type(value).__module__.split(".")[0] == "workbench"))' +
    `(${JSON.stringify(paths)})`
  );
}

/** Parse `'a=0 b=2'` (the repr of a str of identifiers and counts: no quote inside it). */
function parse(text: string): IPipelineCheck {
  const check: IPipelineCheck = { pipelines: [], missing: {} };
  for (const item of text.replace(/^['"]|['"]$/g, '').split(' ')) {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=([0-9]+)$/.exec(item);
    if (match) {
      check.pipelines.push(match[1]);
      check.missing[match[1]] = Number(match[2]);
    }
  }
  return check;
}

export async function checkPipelines(panel: NotebookPanel, paths: string[]): Promise<IPipelineCheck | null> {
  const kernel = panel.sessionContext.session?.kernel;
  if (!kernel) {
    return null;
  }
  const asked = kernel
    .requestExecute({
      code: '',
      silent: true,
      store_history: false,
      user_expressions: { names: expression(paths) }
    })
    .done.then(reply => {
      const content = reply.content as {
        status: string;
        user_expressions?: { [key: string]: { status: string; data?: { [mime: string]: string } } };
      };
      const answer = content.user_expressions?.names;
      return answer?.status === 'ok' ? parse(answer.data?.['text/plain'] ?? '') : null;
    })
    .catch(() => null);
  const late = new Promise<null>(resolve => setTimeout(() => resolve(null), WAIT_MS));
  return Promise.race([asked, late]);
}
