import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tickAtOrBefore } from '../../src/core/group-timing.ts';

/**
 * A webhook receiver for long runs: answers 200 and keeps counters, each group's last arrival
 * and the current window's arrivals, never the bodies (test/helpers/webhook-sink.ts keeps every
 * request and would grow for the whole run).
 */

/** What arrived since the previous `takeWindow`. */
export interface SinkWindow {
  readonly notifications: number;
  readonly duplicates: number;
  /** Arrival minus the group's tick, per notification whose group's first tick is known (ms). */
  readonly latenessMs: Float64Array;
  /** Notifications of groups whose first tick is not known (should stay 0). */
  readonly unknownGroups: number;
}

export interface Duplicate {
  readonly groupKey: string;
  readonly firstAt: number;
  readonly firstSender: string;
  readonly secondAt: number;
  readonly secondSender: string;
}

interface LastArrival {
  readonly at: number;
  readonly sender: string;
}

interface WebhookBody {
  readonly groupKey?: unknown;
  readonly externalURL?: unknown;
  readonly alerts?: readonly { readonly status?: unknown; readonly labels?: Readonly<Record<string, string>> }[];
}

const IDLE_CONNECTION_MS = 10 * 60_000;
const DUPLICATE_EXAMPLES = 5;

export class SoakSink {
  readonly url: string;
  readonly #server: Server;
  readonly #groupIntervalMs: number;
  /** Each group's first tick: its later ticks are that plus multiples of group_interval. */
  #origins = new Map<string, number>();
  readonly #last = new Map<string, LastArrival>();
  readonly #bySender = new Map<string, number>();
  readonly duplicateExamples: Duplicate[] = [];
  #total = { notifications: 0, resolvedAlerts: 0, duplicates: 0, unreadable: 0 };
  #window = { notifications: 0, duplicates: 0 };
  #arrivals: { groupKey: string; at: number }[] = [];
  #onResolvedAlert: (labels: Readonly<Record<string, string>>) => void = () => {};

  private constructor(server: Server, groupIntervalMs: number) {
    this.#server = server;
    this.#groupIntervalMs = groupIntervalMs;
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    server.on('request', (req, res) => {
      const at = Date.now();
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        res.writeHead(200).end();
        this.#record(Buffer.concat(chunks).toString('utf8'), at);
      });
    });
  }

  static start(groupIntervalMs: number): Promise<SoakSink> {
    // Node closes idle keep-alive connections after 5 s; a client reusing one at that moment
    // sees a reset and retries, which would blur arrival times.
    const server = createServer({ keepAliveTimeout: IDLE_CONNECTION_MS });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve(new SoakSink(server, groupIntervalMs)));
    });
  }

  /** Group key → first tick (epoch ms), from Grouper's group list. */
  setOrigins(origins: Map<string, number>): void {
    this.#origins = origins;
  }

  /** Called with the labels of every resolved alert of every notification. */
  onResolvedAlert(callback: (labels: Readonly<Record<string, string>>) => void): void {
    this.#onResolvedAlert = callback;
  }

  get totals(): { readonly notifications: number; readonly resolvedAlerts: number; readonly duplicates: number; readonly unreadable: number } {
    return { ...this.#total };
  }

  /** Notifications by the externalURL of the replica that sent them. */
  get bySender(): ReadonlyMap<string, number> {
    return this.#bySender;
  }

  takeWindow(): SinkWindow {
    const lateness: number[] = [];
    let unknownGroups = 0;
    for (const { groupKey, at } of this.#arrivals) {
      const origin = this.#origins.get(groupKey);
      const tick = origin === undefined ? undefined : tickAtOrBefore(origin, this.#groupIntervalMs, at);
      if (tick === undefined) unknownGroups++;
      else lateness.push(at - tick);
    }
    const window = { ...this.#window, latenessMs: Float64Array.from(lateness), unknownGroups };
    this.#window = { notifications: 0, duplicates: 0 };
    this.#arrivals = [];
    return window;
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  #record(raw: string, at: number): void {
    let body: WebhookBody;
    try {
      body = JSON.parse(raw) as WebhookBody;
    } catch {
      body = {};
    }
    if (typeof body.groupKey !== 'string' || !Array.isArray(body.alerts)) {
      this.#total.unreadable++;
      return;
    }
    const sender = String(body.externalURL);
    let resolved = 0;
    for (const alert of body.alerts) {
      if (alert.status !== 'resolved') continue;
      resolved++;
      this.#onResolvedAlert(alert.labels ?? {});
    }
    this.#window.notifications++;
    this.#total.notifications++;
    this.#total.resolvedAlerts += resolved;
    this.#bySender.set(sender, (this.#bySender.get(sender) ?? 0) + 1);
    this.#arrivals.push({ groupKey: body.groupKey, at });

    // Ticks are group_interval apart: two arrivals much closer than that are one tick sent twice.
    const last = this.#last.get(body.groupKey);
    if (last !== undefined && at - last.at < this.#groupIntervalMs / 2) {
      this.#window.duplicates++;
      this.#total.duplicates++;
      if (this.duplicateExamples.length < DUPLICATE_EXAMPLES) {
        this.duplicateExamples.push({ groupKey: body.groupKey, firstAt: last.at, firstSender: last.sender, secondAt: at, secondSender: sender });
      }
    }
    this.#last.set(body.groupKey, { at, sender });
  }
}
