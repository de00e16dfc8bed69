/**
 * A callback receiver on a local port (Node only). Each task gets its own callback URL, whose last path segment says
 * how to treat its deliveries (`ack-1`, `fail-2`, `slow-3`: see {@link ReceiverMode}), so one receiver observes
 * every behaviour of the sender at once. Before answering a delivery it runs `onDelivery` (verify queries the task
 * there), so "what GET returns at that moment" is measured while the sender still waits for the answer. Every
 * delivery is kept with the times it arrived and ended.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { DEFAULT_SLOW_HOLD_MS } from "../defaults.js";
import type { CallbackDelivery, ReceivedDelivery, ReceiverMode } from "./callbacks.js";
import { parseBody } from "./http.js";
import type { Exchange, Headers } from "./types.js";

/** A running receiver. */
export interface CallbackReceiver {
  /** The public base URL; a task's callback URL is `${url}/${mode}-${n}`. */
  readonly url: string;
  /** The local address it listens on, `http://HOST:PORT`. */
  readonly localUrl: string;
  /** A fresh callback URL for one task, whose deliveries are treated as `mode` says. */
  callbackUrl(mode: ReceiverMode): string;
  /** Every delivery so far, in arrival order, with the mode of its URL (`undefined` for an unknown path). */
  readonly received: readonly (ReceivedDelivery & { mode: ReceiverMode | undefined; key: string })[];
  /** The deliveries to one callback URL. */
  deliveriesTo(callbackUrl: string): ReceivedDelivery[];
  /**
   * Resolves with the deliveries to `callbackUrl` once they have ended and none arrived for `quietMs`; with none when
   * nothing arrived within `firstWithinMs`; and at the latest `maxWaitMs` after the call.
   */
  settle(
    callbackUrl: string,
    wait: { quietMs: number; firstWithinMs: number; maxWaitMs: number },
  ): Promise<ReceivedDelivery[]>;
  close(): Promise<void>;
}

/** Options of {@link startCallbackReceiver}. */
export interface ReceiverOptions {
  /** Runs before each answer; its exchange is kept with the delivery. */
  onDelivery?: (delivery: CallbackDelivery) => Promise<Exchange | undefined>;
  /** Interface to listen on. @default "127.0.0.1" */
  host?: string;
  /** Port; 0 picks a free one. @default 0 */
  port?: number;
  /** The URL senders must use, when it differs from the local one (a tunnel). @default the local URL */
  publicUrl?: string;
  /** How long a `slow` delivery is held before it is answered. @default {@link DEFAULT_SLOW_HOLD_MS} */
  slowHoldMs?: number;
  /** The clock of the timestamps. @default Date.now */
  now?: () => number;
}

const MODES: readonly ReceiverMode[] = ["ack", "fail", "slow"];

/** Starts a receiver. */
export async function startCallbackReceiver(options: ReceiverOptions = {}): Promise<CallbackReceiver> {
  const now = options.now ?? Date.now;
  const received: (ReceivedDelivery & { mode: ReceiverMode | undefined; key: string })[] = [];
  const seenFirst = new Set<string>();
  const waiters = new Set<() => void>();
  const timers = new Set<NodeJS.Timeout>();
  const wake = () => {
    for (const w of waiters) w();
  };
  let serial = 0;

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      const receivedAt = now();
      const headers: Headers = {};
      for (const [name, value] of Object.entries(req.headers)) {
        if (typeof value === "string") headers[name] = value;
        else if (Array.isArray(value)) headers[name] = value.join(", ");
      }
      const path = req.url ?? "";
      const key = path.split("?")[0]?.split("/").filter(Boolean).pop() ?? "";
      const mode = MODES.find((m) => key.startsWith(`${m}-`));
      const delivery: CallbackDelivery = {
        method: req.method ?? "",
        path,
        headers,
        body: parseBody(Buffer.concat(chunks).toString("utf8"), headers["content-type"]),
      };
      const entry: ReceivedDelivery & { mode: ReceiverMode | undefined; key: string } = {
        delivery,
        receivedAt,
        mode,
        key,
      };
      received.push(entry);
      res.once("close", () => {
        entry.endedAt ??= now();
        wake();
      });
      try {
        const get = await options.onDelivery?.(delivery);
        if (get) entry.get = get;
      } catch {
        // The query failed; the delivery is still checked on its own.
      }
      const first = !seenFirst.has(key);
      seenFirst.add(key);
      const status = mode === "fail" ? 500 : 204;
      const answer = () => {
        if (res.destroyed || res.writableEnded) return;
        entry.answered = status;
        entry.endedAt = now();
        res.writeHead(status).end();
        wake();
      };
      if (mode === "slow" && first) {
        const timer = setTimeout(() => {
          timers.delete(timer);
          answer();
        }, options.slowHoldMs ?? DEFAULT_SLOW_HOLD_MS);
        timers.add(timer);
      } else {
        answer();
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", resolve);
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  const localUrl = `http://${host}:${address.port}`;
  const base = (options.publicUrl ?? `${localUrl}/callbacks`).replace(/\/+$/, "");
  const keyOf = (url: string) => url.split("/").pop() ?? "";
  const deliveriesTo = (url: string) => received.filter((d) => d.key === keyOf(url));

  return {
    url: base,
    localUrl,
    callbackUrl(mode) {
      serial += 1;
      return `${base}/${mode}-${serial}`;
    },
    received,
    deliveriesTo,
    settle(url, { quietMs, firstWithinMs, maxWaitMs }) {
      const deadline = now() + maxWaitMs;
      const firstBy = Math.min(deadline, now() + firstWithinMs);
      return new Promise((resolve) => {
        let timer: NodeJS.Timeout | undefined;
        const check = () => {
          clearTimeout(timer);
          const list = deliveriesTo(url);
          const last = list[list.length - 1];
          const open = list.some((d) => d.endedAt === undefined);
          const quietSince = last ? (last.endedAt ?? now()) : undefined;
          const t = now();
          const quietEnd = quietSince === undefined ? firstBy : Math.min(deadline, quietSince + quietMs);
          if (t >= deadline || (!open && t >= quietEnd)) {
            waiters.delete(check);
            resolve(list);
            return;
          }
          timer = setTimeout(check, Math.max(1, (open ? deadline : quietEnd) - t));
        };
        waiters.add(check);
        check();
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
