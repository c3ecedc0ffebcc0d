/**
 * Pictures: a Workbench view's output shows the live widget when its model exists and the
 * picture the kernel drew (the output's text/html) when it does not.
 *
 * A view's output carries the widget-view mimetype, text/html (the picture) and
 * `application/vnd.workbench.view+json` ({model_id, display_id}). This renderer claims the last
 * one ahead of jupyterlab-manager's widget renderer. It draws the picture at once; when the
 * notebook's widget manager is there, it asks the notebook's own widget renderer for the view
 * (kept hidden) and swaps it in only once that renderer holds a widget. A notebook reopened
 * without widget state, or without a kernel, keeps the picture instead of
 * "Error displaying widget: model not found". Untrusted notebooks never use this renderer
 * (it is not `safe`): JupyterLab shows their sanitized text/html, the same picture.
 *
 * The kernel updates a picture with `update_display_data`; JupyterLab applies such a message
 * only to the cell whose execution sent it, so the plugin also applies Workbench's updates to
 * every output of the notebook that shows the same view (a tuning study ends while a later
 * cell runs, and the saved notebook must hold its last picture).
 */
import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ISessionContext } from '@jupyterlab/apputils';
import { ICodeCellModel } from '@jupyterlab/cells';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { IRenderMimeRegistry, MimeModel } from '@jupyterlab/rendermime';
import { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { KernelMessage } from '@jupyterlab/services';
import { Panel, Widget } from '@lumino/widgets';

export const PICTURE_MIMETYPE = 'application/vnd.workbench.view+json';
export const WIDGET_MIMETYPE = 'application/vnd.jupyter.widget-view+json';
/** Ahead of jupyterlab-manager's widget renderer (rank -10). */
export const PICTURE_RANK = -20;

interface IPictureData {
  model_id: string;
  display_id: string;
}

/** The nearest ancestor of `widget` that has `key` (an output area's rendermime, a panel's
 * session). */
function ancestorWith<K extends string>(widget: Widget, key: K): Record<K, unknown> | null {
  for (let node: Widget | null = widget.parent; node; node = node.parent) {
    if (key in node) {
      return node as unknown as Record<K, unknown>;
    }
  }
  return null;
}

export class PictureRenderer extends Panel implements IRenderMime.IRenderer {
  constructor(options: IRenderMime.IRendererOptions, global: IRenderMimeRegistry) {
    super();
    this.addClass('wb-view-output');
    this._sanitizer = options.sanitizer;
    this._global = global;
    this._picture.addClass('wb-view-picture');
    this.addWidget(this._picture);
  }

  async renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    const data = model.data[PICTURE_MIMETYPE] as unknown as IPictureData;
    this._picture.node.innerHTML = this._sanitizer.sanitize(String(model.data['text/html'] ?? ''));
    if (this._live && data.model_id === this._modelId) {
      return; // the live widget draws itself; only the saved picture changed
    }
    this._dropLive();
    this._modelId = data.model_id;
    this._widgetData = model.data[WIDGET_MIMETYPE];
    this._trusted = model.trusted;
    await this._attached;
    await this._tryLive();
  }

  /** Whether the live widget is shown (the picture is hidden). */
  get live(): boolean {
    return this._shown;
  }

  protected onAfterAttach(): void {
    this._markAttached();
    const session = ancestorWith(this, 'sessionContext')?.sessionContext as
      | ISessionContext
      | undefined;
    if (session && !this._session) {
      this._session = session;
      session.kernelChanged.connect(this._retry, this);
    }
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._session?.kernelChanged.disconnect(this._retry, this);
    this._observer?.disconnect();
    super.dispose();
  }

  private _retry(): void {
    if (!this._shown) {
      this._dropLive();
      window.setTimeout(() => void this._tryLive(), 0);
    }
  }

  /** Render the widget through the notebook's widget renderer once its manager exists. */
  private async _tryLive(): Promise<void> {
    const area = ancestorWith(this, 'rendermime')?.rendermime as IRenderMimeRegistry | undefined;
    if (!area || !this._widgetData || this.isDisposed) {
      return;
    }
    if (this._session) {
      await this._session.ready;
      // jupyterlab-manager binds the notebook's widget renderer to its manager right after
      // the session is ready; let its handler run first.
      await new Promise(resolve => window.setTimeout(resolve, 0));
    }
    const factory = area.getFactory(WIDGET_MIMETYPE);
    if (!factory || factory === this._global.getFactory(WIDGET_MIMETYPE) || this._live) {
      return; // no widget manager (no kernel): the picture stays
    }
    const live = area.createRenderer(WIDGET_MIMETYPE) as IRenderMime.IRenderer & Panel;
    this._live = live;
    live.hide();
    this.addWidget(live);
    this._observer = new MutationObserver(() => this._showLiveIfDrawn());
    this._observer.observe(live.node, { childList: true });
    await live.renderModel(
      new MimeModel({ data: { [WIDGET_MIMETYPE]: this._widgetData }, trusted: this._trusted })
    );
    this._showLiveIfDrawn();
  }

  private _showLiveIfDrawn(): void {
    const live = this._live;
    if (live && !live.isDisposed && live.widgets.length > 0 && !this._shown) {
      this._shown = true;
      live.show();
      this._picture.hide();
    }
  }

  private _dropLive(): void {
    this._observer?.disconnect();
    this._observer = null;
    this._live?.dispose();
    this._live = null;
    this._shown = false;
    this._picture.show();
  }

  private _sanitizer: IRenderMime.ISanitizer;
  private _global: IRenderMimeRegistry;
  private _picture = new Widget();
  private _live: (IRenderMime.IRenderer & Panel) | null = null;
  private _shown = false;
  private _observer: MutationObserver | null = null;
  private _modelId = '';
  private _widgetData: IRenderMime.IMimeModel['data'][string] = undefined;
  private _trusted = false;
  private _session: ISessionContext | null = null;
  private _markAttached: () => void = () => undefined;
  private _attached = new Promise<void>(resolve => (this._markAttached = resolve));
}

/** Apply a Workbench view's `update_display_data` to every output of the notebook showing it. */
export function applyPictureUpdate(panel: NotebookPanel, msg: KernelMessage.IIOPubMessage): void {
  if (msg.header.msg_type !== 'update_display_data') {
    return;
  }
  const content = msg.content as KernelMessage.IUpdateDisplayDataMsg['content'];
  const displayId = (content.transient ?? {})['display_id'];
  if (typeof displayId !== 'string' || !displayId.startsWith('workbench-')) {
    return;
  }
  const cells = panel.content.model?.cells;
  if (!cells) {
    return;
  }
  for (let c = 0; c < cells.length; c++) {
    const cell = cells.get(c);
    if (cell.type !== 'code') {
      continue;
    }
    const outputs = (cell as ICodeCellModel).outputs;
    for (let i = 0; i < outputs.length; i++) {
      const shown = outputs.get(i).data[PICTURE_MIMETYPE] as unknown as IPictureData | undefined;
      if (shown && shown.display_id === displayId) {
        outputs.set(i, {
          output_type: 'display_data',
          data: content.data,
          metadata: content.metadata
        });
      }
    }
  }
}

export const picturePlugin: JupyterFrontEndPlugin<void> = {
  id: 'workbench-lab:pictures',
  description: "Workbench views: the live widget, or the view's picture when it cannot be drawn.",
  autoStart: true,
  requires: [IRenderMimeRegistry],
  optional: [INotebookTracker],
  activate: (
    app: JupyterFrontEnd,
    rendermime: IRenderMimeRegistry,
    notebooks: INotebookTracker | null
  ) => {
    rendermime.addFactory(
      {
        safe: false,
        mimeTypes: [PICTURE_MIMETYPE],
        createRenderer: options => new PictureRenderer(options, rendermime)
      },
      PICTURE_RANK
    );
    notebooks?.widgetAdded.connect((_, panel) => {
      panel.sessionContext.iopubMessage.connect((__, msg) =>
        applyPictureUpdate(panel, msg as KernelMessage.IIOPubMessage)
      );
    });
  }
};
