/**
 * A local callback receiver on a loopback port. Before acknowledging a delivery it runs `onDelivery` (the suite uses
 * it to query the task), so "what GET returns at that moment" is measured while the sender still waits for the
 * acknowledgement.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { CallbackDelivery } from "./callbacks.js";
import { parseBody } from "./http.js";
import type { Exchange, Headers } from "./types.js";

/** A delivery and the task query made while it was held. */
export interface ReceivedDelivery {
  delivery: CallbackDelivery;
  /** The `getTaskDetail` exchange made before the acknowledgement, when `onDelivery` made one. */
  get?: Exchange;
}

/** A running sink. */
export interface CallbackSink {
  /** The URL to pass as `callback_url` (`http://127.0.0.1:PORT/callbacks/<n>`). */
  url: string;
  /** Every delivery so far, in arrival order. */
  readonly received: readonly ReceivedDelivery[];
  /** Resolves with the first delivery matching `predicate`, or `undefined` once `timeoutMs` has passed. */
  waitFor(predicate: (d: ReceivedDelivery) => boolean, timeoutMs: number): Promise<ReceivedDelivery | undefined>;
  close(): Promise<void>;
}

/** Options of {@link startCallbackSink}. */
export interface SinkOptions {
  /** Runs before each acknowledgement; its exchange is kept with the delivery. */
  onDelivery?: (delivery: CallbackDelivery) => Promise<Exchange | undefined>;
  /** Status to acknowledge with. @default 204 */
  status?: number;
  /** Port on 127.0.0.1 (a tunnel's local end for the live API's callbacks). @default 0, a free port */
  port?: number;
  /** The URL the sender must use, when it differs from the local one (a public tunnel). @default the local URL */
  publicUrl?: string;
}

/** Starts a sink on `127.0.0.1` (a free port unless `port` is given). */
export async function startCallbackSink(options: SinkOptions = {}): Promise<CallbackSink> {
  const received: ReceivedDelivery[] = [];
  const waiters = new Set<() => void>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      const headers: Headers = {};
      for (const [name, value] of Object.entries(req.headers)) {
        if (typeof value === "string") headers[name] = value;
        else if (Array.isArray(value)) headers[name] = value.join(", ");
      }
      const text = Buffer.concat(chunks).toString("utf8");
      const delivery: CallbackDelivery = {
        method: req.method ?? "",
        path: req.url ?? "",
        headers,
        body: parseBody(text, headers["content-type"]),
      };
      let get: Exchange | undefined;
      try {
        get = await options.onDelivery?.(delivery);
      } catch {
        // The suite's own query failed; the delivery is still checked on its own.
      }
      received.push(get ? { delivery, get } : { delivery });
      for (const wake of waiters) wake();
      res.writeHead(options.status ?? 204).end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: options.publicUrl ?? `http://127.0.0.1:${port}/callbacks/contract`,
    received,
    waitFor(predicate, timeoutMs) {
      return new Promise((resolve) => {
        const check = () => {
          const found = received.find(predicate);
          if (!found) return false;
          done(found);
          return true;
        };
        const done = (value: ReceivedDelivery | undefined) => {
          clearTimeout(timer);
          waiters.delete(wake);
          resolve(value);
        };
        const wake = () => void check();
        const timer = setTimeout(() => done(undefined), timeoutMs);
        waiters.add(wake);
        check();
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
