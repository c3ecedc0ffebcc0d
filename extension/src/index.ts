/**
 * Workbench's JupyterLab extension: the side panel, study views and commands.
 */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  ICommandPalette,
  IThemeManager,
  MainAreaWidget,
  Notification,
  WidgetTracker
} from '@jupyterlab/apputils';
import { INotebookTracker, NotebookActions } from '@jupyterlab/notebook';
import { LabIcon } from '@jupyterlab/ui-components';

import { api } from './api';
import { IBest, bestPipelineCode } from './code';
import { checkPipelines } from './kernel';
import { CompareSelection, CompareView } from './compare';
import { picturePlugin } from './picture';
import { IStudyRef, WorkbenchPanel } from './panel';
import { RunView } from './run';
import { StudyView } from './study';
import { bestPoints } from './values';

const ICON_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" width="16" viewBox="0 0 24 24">' +
  '<path class="jp-icon3" fill="#616161" d="M3 3h2v16h16v2H3zm4 12 4-5 3 3 5-7 1.6 1.2-6.4 ' +
  '9-3-3-2.6 3.2z"/></svg>';

export const workbenchIcon = new LabIcon({ name: 'workbench:icon', svgstr: ICON_SVG });

export const CommandIDs = {
  openPanel: 'workbench:open-panel',
  refresh: 'workbench:refresh',
  openStudy: 'workbench:open-study',
  compare: 'workbench:compare',
  insertBest: 'workbench:insert-best-pipeline-code'
};

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'workbench-lab:plugin',
  description: 'Every Workbench study and run, live, in a side panel.',
  autoStart: true,
  requires: [INotebookTracker],
  optional: [ICommandPalette, ILayoutRestorer, IThemeManager],
  activate: (
    app: JupyterFrontEnd,
    notebooks: INotebookTracker,
    palette: ICommandPalette | null,
    restorer: ILayoutRestorer | null,
    themes: IThemeManager | null
  ) => {
    const { commands, shell } = app;
    const views = new WidgetTracker<MainAreaWidget<StudyView | RunView>>({ namespace: 'workbench-study' });
    const findView = (store: string, study: string): MainAreaWidget<StudyView | RunView> | undefined =>
      views.find(widget => widget.content.ref.store === store && widget.content.ref.study === study);

    const selection = new CompareSelection();
    const comparisons = new WidgetTracker<MainAreaWidget<CompareView>>({ namespace: 'workbench-compare' });
    const openComparison = (items: string[]): MainAreaWidget<CompareView> | undefined => {
      if (!items.length) {
        Notification.warning('Tick runs, studies or trials in the Workbench panel first, then compare them.');
        return undefined;
      }
      const widget = new MainAreaWidget({ content: new CompareView(items) });
      widget.id = widget.content.id;
      widget.title.icon = workbenchIcon;
      void comparisons.add(widget);
      shell.add(widget, 'main');
      shell.activateById(widget.id);
      return widget;
    };

    const openStudy = (ref: IStudyRef): MainAreaWidget<StudyView | RunView> => {
      let widget = findView(ref.store, ref.study);
      if (!widget) {
        // a run opens as a run: its History, structure and mutations, no trial table
        const content =
          ref.kind === 'run'
            ? new RunView(ref)
            : new StudyView(
                ref,
                view =>
                  void commands.execute(CommandIDs.insertBest, { store: view.ref.store, study: view.ref.study }),
                selection
              );
        widget = new MainAreaWidget({ content });
        widget.id = content.id;
        widget.title.icon = workbenchIcon;
        void views.add(widget);
        shell.add(widget, 'main');
      }
      shell.activateById(widget.id);
      return widget;
    };

    const panel = new WorkbenchPanel(ref => openStudy(ref), selection, items => openComparison(items));
    panel.title.icon = workbenchIcon;
    shell.add(panel, 'left', { rank: 650 });
    if (restorer) {
      restorer.add(panel, 'workbench-panel');
    }
    panel.changed.connect((_, changed) => {
      views.forEach(widget => {
        const view = widget.content;
        if (changed.some(entry => entry.store === view.ref.store && entry.names.includes(view.ref.study))) {
          void view.refresh();
        }
      });
    });

    // a comparison holding a running item follows it
    panel.changed.connect((_, changed) => {
      comparisons.forEach(widget => {
        if (changed.some(entry => widget.content.follows(entry.store, entry.names))) {
          void widget.content.refresh();
        }
      });
    });

    // plots take their colours from the theme: draw them again when it changes
    themes?.themeChanged.connect(() => {
      views.forEach(widget => widget.content.redraw());
      comparisons.forEach(widget => widget.content.redraw());
    });

    commands.addCommand(CommandIDs.openPanel, {
      label: 'Show the Workbench panel',
      caption: 'Every stored study and run, live',
      execute: () => shell.activateById(panel.id)
    });
    commands.addCommand(CommandIDs.compare, {
      label: args => `Compare (${Array.isArray(args.items) ? args.items.length : selection.size})`,
      caption: 'Runs and trials side by side: curves, differing hyperparams, structure diff',
      execute: args => openComparison(Array.isArray(args.items) ? args.items.map(String) : selection.list())
    });
    commands.addCommand(CommandIDs.refresh, {
      label: 'Refresh the Workbench panel',
      execute: () => panel.refresh()
    });
    commands.addCommand(CommandIDs.openStudy, {
      label: args => (args.study ? `Open Workbench study ${String(args.study)}` : 'Open Workbench study'),
      execute: args => {
        const store = String(args.store ?? '0');
        const study = String(args.study ?? '');
        const row = panel.row({ store, study });
        return openStudy({
          store,
          study,
          url: panel.storeUrl(store) ?? store,
          kind: row?.kind === 'run' ? 'run' : 'study'
        });
      }
    });
    commands.addCommand(CommandIDs.insertBest, {
      label: 'Insert code to load this study’s best pipeline',
      caption: 'Add a cell to the active notebook that loads the best pipeline of the open study',
      execute: async args => {
        const view =
          args.study !== undefined
            ? findView(String(args.store ?? '0'), String(args.study))?.content
            : views.currentWidget?.content;
        const store = view?.ref.store ?? (args.store !== undefined ? String(args.store) : null);
        const study = view?.ref.study ?? (args.study !== undefined ? String(args.study) : null);
        if (store === null || study === null) {
          Notification.warning('Open a study from the Workbench panel first, then insert its code.');
          return;
        }
        if (view instanceof RunView) {
          Notification.warning(`${study} is a run, not a study: it has no best pipeline to load.`);
          return;
        }
        const notebook = notebooks.currentWidget;
        if (!notebook) {
          Notification.warning('Open a notebook first: the code goes into a new cell of the active notebook.');
          return;
        }
        const chosen = typeof args.trial === 'number' ? args.trial : null;
        let best: IBest;
        try {
          best = await findTrialOf(store, study, panel.storeUrl(store) ?? store, chosen);
        } catch (error) {
          Notification.error(`No pipeline to load: ${(error as Error).message}`);
          return;
        }
        const check = best.kept ? null : await checkPipelines(notebook, best.paths);
        NotebookActions.insertBelow(notebook.content);
        notebook.content.activeCell?.model.sharedModel.setSource(bestPipelineCode(best, check));
        shell.activateById(notebook.id);
      }
    });
    if (palette) {
      for (const command of [CommandIDs.openPanel, CommandIDs.refresh, CommandIDs.compare, CommandIDs.insertBest]) {
        palette.addItem({ command, category: 'Workbench' });
      }
    }
  }
};

/** The best trial of a study (or the trial chosen), with what the store recorded of it. */
async function findTrialOf(store: string, study: string, url: string, chosen: number | null): Promise<IBest> {
  let trial = chosen;
  if (trial === null) {
    const values = await api.values(store, study);
    const best = bestPoints(values.columns, values.rows).bestTrial; // the store's best so far
    if (best === null) {
      throw new Error(`the study ${JSON.stringify(study)} has no complete trial yet.`);
    }
    trial = best.trial;
  }
  const { record } = await api.record(store, study, trial);
  return {
    url,
    study,
    trial,
    value: record.value,
    metric: record.metric,
    direction: record.direction,
    kept: record.kept !== null && record.kept !== undefined,
    paths: Object.keys(record.params),
    best: chosen === null
  };
}

export default [plugin, picturePlugin];
