/**
 * Where the runner's events go: the journal first (written; durable() waits for the fsync), then the subscribers; the live
 * journal state folds every event too. Secret values are replaced before any of them sees an
 * event, but in undo records, which rollback needs whole (the journal is readable by its owner
 * only). A subscriber that throws never stops a run.
 */
import type { EventInput, EventListener, RunEvent } from './events.js';
import type { Journal } from './journal.js';
import { applyEvent, initialState, type RunJournalState } from './journal-state.js';
import type { SecretValues } from './redact.js';

/** Where events are written: the journal (or nothing, in tests that only listen). */
export interface EventJournal {
  append(event: RunEvent): void;
  /** Resolves once what was appended is on disk (absent: nothing to wait for). */
  sync?(): Promise<void>;
}

export class EventSink {
  state: RunJournalState | undefined;
  constructor(
    private readonly journal: EventJournal | Journal,
    private readonly listeners: readonly EventListener[],
    private readonly secrets: SecretValues,
  ) {}

  /** Resolves once every event emitted so far is on disk: before a step or an undo touches a node. */
  durable(): Promise<void> {
    return this.journal.sync?.() ?? Promise.resolve();
  }

  emit(input: EventInput): RunEvent {
    const event = this.secrets.redactData({ ts: new Date().toISOString(), ...input } as RunEvent, ['undo']);
    this.journal.append(event);
    if (event.type === 'run.start') this.state = initialState(event);
    if (this.state) applyEvent(this.state, event);
    for (const l of this.listeners) {
      try {
        l(event);
      } catch {
        /* a UI problem never stops a run */
      }
    }
    return event;
  }
}
