/**
 * The live task tree on a terminal: the runner's events folded into a model (tree/model.ts),
 * laid out to fit the terminal (tree/layout.ts) and redrawn in place with log-update, ten times
 * a second while anything runs (spinners and times move), at once on every event, and on a
 * resize. Text other parts of slipway print while the tree is drawn (Ctrl-C's notice, a batch
 * confirmation) goes through `interject`, so the redraw never eats it.
 */
import { styleText } from 'node:util';
import { createLogUpdate } from 'log-update';
import type { EventListener, RunEvent } from '../runner/events.js';
import { layoutTree, type Paint } from './tree/layout.js';
import { applyTreeEvent, newTreeModel, type TreeModel } from './tree/model.js';

const FRAME_MS = 100;

function paintFor(stream: NodeJS.WriteStream): Paint {
  const colors = !process.env.NO_COLOR && (process.env.FORCE_COLOR !== undefined || stream.hasColors?.() === true);
  const style = (format: Parameters<typeof styleText>[0]) => (s: string) => (colors ? styleText(format, s) : s);
  return { ok: style('green'), bad: style('red'), warn: style('yellow'), dim: style('dim'), bold: style('bold') };
}

/**
 * The terminal as log-update sees it, minus its width: the layout cuts every line to the width
 * itself (string-width 8, as terminals count ✔ and ◻: one column), while log-update's wrap-ansi
 * (string-width 7: two columns) would wrap such lines early and break the redraw.
 */
function unwrappedView(stream: NodeJS.WriteStream): NodeJS.WriteStream {
  const view = { write: (chunk: string) => stream.write(chunk), columns: Number.MAX_SAFE_INTEGER, get rows() { return stream.rows; } };
  // log-update reads only write, columns and rows.
  return view as unknown as NodeJS.WriteStream;
}

export interface LiveTreeOptions {
  /** The playbook's name, for a resume (run.resume does not carry it). */
  playbookName?: string;
  stream?: NodeJS.WriteStream;
}

export class LiveTree {
  private model: TreeModel | undefined;
  private readonly stream: NodeJS.WriteStream;
  private readonly paint: Paint;
  private region: ReturnType<typeof createLogUpdate> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private frame = 0;
  private ended = false;
  private readonly onResize = () => this.draw();

  readonly listener: EventListener = (e: RunEvent) => this.onEvent(e);

  constructor(private readonly options: LiveTreeOptions = {}) {
    this.stream = options.stream ?? process.stdout;
    this.paint = paintFor(this.stream);
  }

  /** The last frame is on the screen and stays there. */
  async done(): Promise<void> {
    this.finish();
  }

  /** Prints `text` on standard error above the tree, which is then drawn again below it. */
  interject(text: string): void {
    this.region?.clear();
    process.stderr.write(text);
    this.draw();
  }

  private onEvent(e: RunEvent): void {
    if (e.type === 'run.start' || e.type === 'run.resume') {
      this.model = newTreeModel(e, this.options.playbookName);
      this.open();
      return;
    }
    if (!this.model) return;
    applyTreeEvent(this.model, e);
    if (e.type === 'batch.pause' && e.pause === 'confirm') {
      // The question is asked below the tree: leave this frame on the screen and stop drawing.
      this.close();
      return;
    }
    if (e.type === 'batch.start' && !this.region) this.open();
    if (e.type === 'run.summary') {
      this.finish();
      return;
    }
    // Drawn by the next frame (at most FRAME_MS away): a burst of events costs one layout, not one each.
  }

  private open(): void {
    if (this.ended) return;
    this.region = createLogUpdate(unwrappedView(this.stream), { showCursor: true });
    this.timer = setInterval(() => {
      this.frame++;
      this.draw();
    }, FRAME_MS);
    this.timer.unref();
    this.stream.on('resize', this.onResize);
    this.draw();
  }

  private close(): void {
    this.draw();
    clearInterval(this.timer);
    this.timer = undefined;
    this.stream.off('resize', this.onResize);
    this.region?.done();
    this.region = undefined;
  }

  private finish(): void {
    if (this.ended) return;
    this.close();
    this.ended = true;
  }

  private draw(): void {
    if (!this.region || !this.model) return;
    // One row is kept free: log-update's last line ends with the cursor below it.
    const rows = (this.stream.rows ?? 24) - 1;
    const cols = this.stream.columns ?? 80;
    this.region(layoutTree(this.model, { now: Date.now(), rows, cols, frame: this.frame, paint: this.paint }).join('\n'));
  }
}
