/**
 * `startMockServer`: the stateful mock on a real port (Hono on @hono/node-server).
 */
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createAdaptorServer } from "@hono/node-server";
import { RESPONSE_ALREADY_SENT } from "@hono/node-server/utils/response";
import type { Context } from "hono";
import { MockApi, type MockApiOptions } from "./api.js";
import { createMockApp, type MockAppOptions, REQUEST_ID_HEADER } from "./app.js";
import { addressCheckingFetch, type ResolveAll } from "./callback-fetch.js";
import type { MockEngine } from "./engine.js";

/** Default port of `npm run mock` (Prism's too, so tools pointed at one reach the other). */
export const DEFAULT_PORT = 4010;
/** Default interface: loopback only, since the mock accepts any token. */
export const DEFAULT_HOST = "127.0.0.1";
/** Listen backlog (Node's default is 511). */
const LISTEN_BACKLOG = 4096;

/** Options of {@link startMockServer}: where to listen, plus every {@link MockApiOptions} and {@link MockAppOptions} one. */
export interface MockServerOptions extends MockApiOptions, MockAppOptions {
  /**
   * How callback hosts are resolved before the connection (tests map a name to an address); the address the
   * callback connects to is checked like a literal one. Ignored when `callbackFetch` is given. @default dns.lookup
   */
  callbackResolve?: ResolveAll;
  /** Port to listen on; 0 picks a free one. @default {@link DEFAULT_PORT} */
  port?: number;
  /** Interface to listen on. @default "127.0.0.1" */
  host?: string;
}

/** A running mock server. */
export interface MockServer {
  /** Base URL, e.g. `http://127.0.0.1:4010`: requests go to `${url}/v1/...`. */
  readonly url: string;
  /** The port it listens on (useful with `port: 0`). */
  readonly port: number;
  /** The API behind it (admin snapshot, reset, sweep). */
  readonly api: MockApi;
  /** The lifecycle engine (seed, speed, tasks). */
  readonly engine: MockEngine;
  /** Stops listening, drops open connections (including hanging requests) and stops callback deliveries. */
  close(): Promise<void>;
}

type NodeBindings = { incoming?: IncomingMessage; outgoing?: ServerResponse };

function urlHost(host: string): string {
  // An unspecified address accepts connections on loopback too; links must name an address a client can reach.
  if (host === "0.0.0.0") return "127.0.0.1";
  if (host === "::" || host === "[::]") return "[::1]";
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
}

/**
 * Starts the stateful mock server and resolves once it listens.
 *
 * @example
 * const mock = await startMockServer({ port: 0, speed: 1000, seed: 1 });
 * const res = await fetch(`${mock.url}/v1/tasks/task-unified-1-abcdefgh`, { headers: { authorization: "Bearer x" } });
 * await mock.close();
 */
export async function startMockServer(options: MockServerOptions = {}): Promise<MockServer> {
  const host = options.host ?? DEFAULT_HOST;
  const api = new MockApi({
    ...options,
    callbackFetch:
      options.callbackFetch ??
      addressCheckingFetch({
        allowLoopback: options.allowLoopbackCallbacks ?? false,
        ...(options.callbackResolve ? { resolve: options.callbackResolve } : {}),
      }),
  });
  const hanging = new Set<() => void>();

  const bindings = (c: Context) => (c.env ?? {}) as NodeBindings;
  // Tells @hono/node-server that the handler has dealt with the socket itself (a fresh copy: middleware adds headers).
  const alreadySent = () => new Response(null, { headers: RESPONSE_ALREADY_SENT.headers });
  const app = createMockApp(
    api,
    {
      reset(c) {
        bindings(c).incoming?.socket.destroy();
        return alreadySent();
      },
      truncate(c, reply) {
        const { outgoing } = bindings(c);
        if (!outgoing || !reply.body) return new Response(null, { status: 500 });
        outgoing.writeHead(reply.status, {
          ...reply.headers,
          "access-control-allow-origin": "*",
          "access-control-expose-headers": "Content-Length, Content-Range, Accept-Ranges",
          [REQUEST_ID_HEADER]: String(c.get("requestId") ?? ""),
        });
        outgoing.write(reply.body.subarray(0, Math.floor(reply.body.length / 2)), () => outgoing.destroy());
        return alreadySent();
      },
      hang(c) {
        const { incoming, outgoing } = bindings(c);
        return new Promise<Response>((resolve) => {
          const finish = () => {
            hanging.delete(finish);
            outgoing?.off("close", finish);
            incoming?.socket.destroy();
            resolve(alreadySent());
          };
          hanging.add(finish);
          // The response is never written, so "close" means the client (or the server's shutdown) ended it.
          outgoing?.once("close", finish);
        });
      },
    },
    options.adminOrigins ? { adminOrigins: options.adminOrigins } : {},
  );

  const server = createAdaptorServer({ fetch: app.fetch, hostname: host }) as Server;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    // A deep accept queue: a burst of a thousand new connections (a load test, a benchmark) is queued instead of having
    // SYNs dropped and retried a second later. The kernel caps it at net.core.somaxconn.
    server.listen({ port: options.port ?? DEFAULT_PORT, host, backlog: LISTEN_BACKLOG }, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${urlHost(host)}:${port}`;
  api.engine.baseUrl = url;

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    api,
    engine: api.engine,
    close() {
      closing ??= (async () => {
        for (const finish of [...hanging]) finish();
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await Promise.all([closed, api.close()]);
      })();
      return closing;
    },
  };
}
