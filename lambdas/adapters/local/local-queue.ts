import { randomUUID } from 'node:crypto';
import type { Queue, QueueControl } from '../../core/ports';
import type { WorkMessage } from '../../core/model';

/** What one delivery of a message looks like to a consumer (the fields an SQS record gives a Lambda). */
export interface LocalDelivery {
  messageId: string;
  receiptHandle: string;
  body: string;
  receiveCount: number;
  sentAt: number;
}

interface Entry {
  messageId: string;
  body: string;
  sentAt: number;
  visibleAt: number;
  receiveCount: number;
  receiptHandle?: string;
  /** When the current receive happened: SQS counts its 12-hour visibility limit from there. */
  receivedAt?: number;
}

/** SQS's limit on a message's visibility timeout, counted from the receive that hid it. */
export const SQS_MAX_VISIBILITY_SECONDS = 43_200;

export interface LocalQueueOptions {
  visibilityTimeoutSeconds: number;
  maxReceiveCount: number;
  now?: () => number;
}

/**
 * An in-process twin of SQS with the semantics the worker relies on: per-message delay, visibility timeout,
 * ChangeMessageVisibility (refused beyond 12 hours from the receive, as SQS refuses it), receive counts and a
 * dead-letter list after `maxReceiveCount` receives.
 * It is not durable, and need not be: events are stored before they are enqueued and the sweeper re-drives
 * anything a restart dropped.
 */
export class LocalQueue implements Queue {
  /** The consumer's side, with the same (async) shape as the SQS adapter's. */
  readonly control: QueueControl = {
    changeVisibility: async (receiptHandle, seconds) => this.changeVisibility(receiptHandle, seconds),
    deadLetter: async (body, reason) => this.deadLetter(body, reason),
  };

  readonly deadLetters: { messageId: string; body: string; reason: string; at: number }[] = [];
  private readonly entries = new Map<string, Entry>();
  private readonly byReceipt = new Map<string, string>();
  private readonly listeners = new Set<() => void>();
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Number.POSITIVE_INFINITY;
  private readonly now: () => number;

  constructor(private readonly options: LocalQueueOptions) {
    this.now = options.now ?? Date.now;
  }

  async enqueue(message: WorkMessage, delaySeconds = 0): Promise<void> {
    this.send(JSON.stringify(message), delaySeconds);
  }

  send(body: string, delaySeconds = 0): string {
    const messageId = randomUUID();
    const now = this.now();
    this.entries.set(messageId, {
      messageId,
      body,
      sentAt: now,
      visibleAt: now + delaySeconds * 1000,
      receiveCount: 0,
    });
    this.wakeAt(now + delaySeconds * 1000);
    return messageId;
  }

  /** Takes up to `max` visible messages and hides them for the visibility timeout. */
  receive(max: number): LocalDelivery[] {
    const now = this.now();
    const out: LocalDelivery[] = [];
    for (const entry of this.entries.values()) {
      if (out.length >= max) break;
      if (entry.visibleAt > now) continue;
      if (entry.receiveCount >= this.options.maxReceiveCount) {
        this.moveToDeadLetter(entry, `received ${entry.receiveCount} times without success`);
        continue;
      }
      if (entry.receiptHandle) this.byReceipt.delete(entry.receiptHandle);
      entry.receiveCount += 1;
      entry.receiptHandle = randomUUID();
      entry.receivedAt = now;
      entry.visibleAt = now + this.options.visibilityTimeoutSeconds * 1000;
      this.byReceipt.set(entry.receiptHandle, entry.messageId);
      out.push({
        messageId: entry.messageId,
        receiptHandle: entry.receiptHandle,
        body: entry.body,
        receiveCount: entry.receiveCount,
        sentAt: entry.sentAt,
      });
    }
    if (out.length > 0) this.wakeAt(now + this.options.visibilityTimeoutSeconds * 1000);
    return out;
  }

  delete(receiptHandle: string): void {
    const id = this.byReceipt.get(receiptHandle);
    if (!id) return;
    this.byReceipt.delete(receiptHandle);
    this.entries.delete(id);
  }

  changeVisibility(receiptHandle: string, seconds: number): void {
    const id = this.byReceipt.get(receiptHandle);
    const entry = id ? this.entries.get(id) : undefined;
    if (!entry) return;
    const now = this.now();
    const total = (now - (entry.receivedAt ?? now)) / 1000 + seconds;
    if (total > SQS_MAX_VISIBILITY_SECONDS) {
      // As SQS answers it: the message keeps its current visibility, the caller gets the error.
      const error = new Error(
        `Value ${seconds} for parameter VisibilityTimeout is invalid. Reason: Total VisibilityTimeout for the message is beyond the limit [${SQS_MAX_VISIBILITY_SECONDS} seconds]`,
      );
      error.name = 'InvalidParameterValue';
      throw error;
    }
    entry.visibleAt = now + seconds * 1000;
    this.wakeAt(entry.visibleAt);
  }

  deadLetter(body: string, reason: string): void {
    this.deadLetters.push({ messageId: randomUUID(), body, reason, at: this.now() });
  }

  /** Moves dead letters back onto the queue (the DLQ redrive). Returns how many. */
  redrive(): number {
    const letters = this.deadLetters.splice(0);
    for (const letter of letters) this.send(letter.body);
    return letters.length;
  }

  stats(): { visible: number; inFlightOrDelayed: number; deadLetters: number } {
    const now = this.now();
    let visible = 0;
    for (const e of this.entries.values()) if (e.visibleAt <= now) visible++;
    return { visible, inFlightOrDelayed: this.entries.size - visible, deadLetters: this.deadLetters.length };
  }

  /** Called whenever a message may have become visible. */
  onReady(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.listeners.clear();
  }

  private moveToDeadLetter(entry: Entry, reason: string): void {
    this.entries.delete(entry.messageId);
    if (entry.receiptHandle) this.byReceipt.delete(entry.receiptHandle);
    this.deadLetters.push({ messageId: entry.messageId, body: entry.body, reason, at: this.now() });
  }

  /**
   * One timer, for the earliest moment a message becomes visible. Operations only ever move it earlier (O(1));
   * when it fires, one scan finds the next moment. A queue of thousands of waiting messages stays cheap to use.
   */
  private wakeAt(at: number): void {
    if (this.timer && at >= this.timerAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => this.fire(), Math.max(0, at - this.now()));
    this.timer.unref();
  }

  private fire(): void {
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
    const now = this.now();
    let next = Number.POSITIVE_INFINITY;
    for (const e of this.entries.values()) if (e.visibleAt > now && e.visibleAt < next) next = e.visibleAt;
    if (next !== Number.POSITIVE_INFINITY) this.wakeAt(next);
    for (const l of this.listeners) l();
  }
}
