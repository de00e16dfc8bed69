/**
 * The server's way of sending callbacks (Node only): a `fetch` for {@link deliverCallback} that checks the address it
 * actually connects to. The create request's check reads only the URL, so a public-looking name that resolves to an
 * internal address (a line in /etc/hosts, a DNS record pointing at 127.0.0.1 or 10.0.0.5) would otherwise be
 * delivered to; the real API must not do that, and neither does its mock.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions } from "node:dns";
import type { Agent, RequestOptions } from "node:http";
import { isIP } from "node:net";
import { isInternalHost } from "../rules.js";
import { isLoopbackHost } from "./callbacks.js";

/** Resolves a host name to every address (the `dns.lookup` shape with `all: true`). */
export type ResolveAll = (hostname: string, options: LookupAllOptions) => Promise<LookupAddress[]>;

/** Options of {@link addressCheckingFetch}. */
export interface AddressCheckOptions {
  /** Let loopback addresses through (the server's `allowLoopbackCallbacks`). @default false */
  allowLoopback?: boolean;
  /** How names are resolved (tests map a name to an address). @default dns.lookup */
  resolve?: ResolveAll;
}

/** A callback target refused because of the address it resolves to. */
export class CallbackAddressError extends Error {
  override name = "CallbackAddressError";
}

const systemResolve: ResolveAll = (hostname, options) =>
  new Promise((resolve, reject) =>
    dnsLookup(hostname, options, (error, addresses) => (error ? reject(error) : resolve(addresses))),
  );

/** The address as a URL host, the form `isInternalHost` reads (`[::1]`, and IPv4-mapped IPv6 in hex). */
function urlHostOf(address: string): string {
  return isIP(address) === 6 ? new URL(`http://[${address}]/`).hostname : address;
}

/** Why `address` may not receive a callback, or undefined when it may. */
export function refusedAddress(address: string, allowLoopback: boolean): string | undefined {
  const host = urlHostOf(address);
  if (!isInternalHost(host) || (allowLoopback && isLoopbackHost(host))) return undefined;
  return `the callback host resolves to an internal address (${address}); the API delivers only to public addresses`;
}

/**
 * A `fetch` (for `deliverCallback`: method, headers, a string body, a signal; redirects never followed) over
 * node:http(s) whose connection goes only to an address that passed the check: the name is resolved once, every
 * address it has is checked, and the socket connects to those addresses only. Connections are kept alive in pools of
 * this fetch's own, so a request reuses only a socket that this fetch's check let through.
 */
export function addressCheckingFetch(options: AddressCheckOptions = {}): typeof fetch {
  const allowLoopback = options.allowLoopback ?? false;
  const resolve = options.resolve ?? systemResolve;
  const lookup: RequestOptions["lookup"] = (hostname, lookupOptions, callback) => {
    resolve(hostname, { ...lookupOptions, all: true }).then(
      (addresses) => {
        const refusal = addresses.map((a) => refusedAddress(a.address, allowLoopback)).find(Boolean);
        if (refusal) return callback(new CallbackAddressError(refusal), "", 4);
        if (addresses.length === 0) return callback(new CallbackAddressError(`${hostname} has no address`), "", 4);
        if ((lookupOptions as { all?: boolean }).all)
          return (callback as (e: null, a: LookupAddress[]) => void)(null, addresses);
        const first = addresses[0] as LookupAddress;
        callback(null, first.address, first.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, "", 4),
    );
  };

  // Its own connection pools, one per protocol. Node's global agent keeps connections alive and pools them by host and
  // port, not by how their address was found: a socket that another check (one allowing loopback) or the host
  // process itself had opened to the same name was reused, and the callback went out without a lookup.
  const agents: { "http:"?: Agent; "https:"?: Agent } = {};

  return (async (input: string | URL | Request, init: RequestInit = {}) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    // An address written in the URL is connected to without a lookup: check it here.
    const literal = url.hostname.replace(/^\[|\]$/g, "");
    const refusal = isIP(literal) ? refusedAddress(literal, allowLoopback) : undefined;
    if (refusal) throw new CallbackAddressError(refusal);
    // Loaded on the first callback: node:https pulls in TLS, which a mock that never sends one need not load.
    const https = url.protocol === "https:";
    const { request: send, Agent: AgentOf } = https ? await import("node:https") : await import("node:http");
    const pool = https ? "https:" : "http:";
    // Node's global agent's settings: idle sockets close after 5 s, as they did before the pools were this fetch's own.
    agents[pool] ??= new AgentOf({ keepAlive: true, timeout: 5_000 });
    const agent = agents[pool];
    const headers = Object.fromEntries(new Headers(init.headers).entries());
    return new Promise<Response>((resolvePromise, reject) => {
      const request = send(
        url,
        { method: init.method ?? "GET", headers, agent, lookup, ...(init.signal ? { signal: init.signal } : {}) },
        (response) => {
          response.resume();
          try {
            resolvePromise(new Response(null, { status: response.statusCode ?? 0 }));
          } catch (error) {
            reject(error); // a status a Response cannot carry (outside 200-599)
          }
        },
      );
      request.on("error", (error) => reject(init.signal?.aborted ? init.signal.reason : error));
      request.end(typeof init.body === "string" ? init.body : undefined);
    });
  }) as typeof fetch;
}
