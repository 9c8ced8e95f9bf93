import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { BusEntry } from '../../core/model';
import type { EventBusPublisher } from '../../core/ports';

/**
 * Local twin of EventBridge: with no bus to put events on, each entry is appended to `{dataDir}/eventbridge.jsonl`
 * (one JSON line per PutEvents entry), so EventBridge targets can be tried with `npm start`.
 */
export class JsonlEventBus implements EventBusPublisher {
  readonly file: string;
  constructor(private readonly dataDir: string) {
    this.file = path.join(dataDir, 'eventbridge.jsonl');
  }

  async publish(entry: BusEntry): Promise<void> {
    await fs.mkdir(this.dataDir, { recursive: true, mode: 0o700 });
    await fs.appendFile(this.file, `${JSON.stringify({ at: new Date().toISOString(), ...entry })}\n`, { mode: 0o600 });
  }
}
