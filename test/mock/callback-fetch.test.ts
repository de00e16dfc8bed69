/**
 * The mock's callback fetch checks the address it connects to, not only the URL: a public-looking name resolving to
 * an internal address is refused before any connection. Resolution is injected; the one delivery goes to a server
 * on loopback started here.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addressCheckingFetch, CallbackAddressError, refusedAddress } from "../../src/mock/callback-fetch.js";

describe("refusedAddress", () => {
  const table: [string, { address: string; allowLoopback: boolean; refused: boolean }][] = [
    ["a public IPv4", { address: "93.184.216.34", allowLoopback: false, refused: false }],
    ["a public IPv6", { address: "2606:4700::1111", allowLoopback: false, refused: false }],
    ["private IPv4", { address: "10.0.0.5", allowLoopback: false, refused: true }],
    ["loopback", { address: "127.0.0.1", allowLoopback: false, refused: true }],
    ["loopback, allowed", { address: "127.0.0.1", allowLoopback: true, refused: false }],
    ["IPv6 loopback, allowed", { address: "::1", allowLoopback: true, refused: false }],
    ["IPv4-mapped loopback, allowed", { address: "::ffff:127.0.0.1", allowLoopback: true, refused: false }],
    ["private stays refused when loopback is allowed", { address: "192.168.1.1", allowLoopback: true, refused: true }],
    ["IPv4-mapped private", { address: "::ffff:10.0.0.1", allowLoopback: false, refused: true }],
    ["link-local (cloud metadata)", { address: "169.254.169.254", allowLoopback: true, refused: true }],
  ];
  it.each(table)("%s", (_name, { address, allowLoopback, refused }) => {
    const why = refusedAddress(address, allowLoopback);
    if (refused) expect(why).toContain(address);
    else expect(why).toBeUndefined();
  });
});

describe("addressCheckingFetch", () => {
  let server: http.Server;
  let port: number;
  const received: { method: string | undefined; body: string; type: string | undefined }[] = [];
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = "";
      req.on("data", (chunk) => {
        body += chunk;
      });
      req.on("end", () => {
        received.push({ method: req.method, body, type: req.headers["content-type"] });
        res.statusCode = 204;
        res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  const post = { method: "POST", headers: { "content-type": "application/json" }, body: '{"id":"t"}' };

  it("refuses a name that resolves to an internal address, before connecting", async () => {
    const resolve = async () => [{ address: "10.0.0.5", family: 4 }];
    const send = addressCheckingFetch({ resolve });
    const before = received.length;
    await expect(send(`http://hooks.example.com:${port}/cb`, post)).rejects.toThrow(CallbackAddressError);
    expect(received.length).toBe(before);
  });

  it("refuses when any one of the name's addresses is internal", async () => {
    const resolve = async () => [
      { address: "93.184.216.34", family: 4 },
      { address: "127.0.0.1", family: 4 },
    ];
    await expect(addressCheckingFetch({ resolve })(`http://hooks.example.com:${port}/`, post)).rejects.toThrow(
      /resolves to an internal address \(127\.0\.0\.1\)/,
    );
  });

  it("refuses an internal address written in the URL without resolving anything", async () => {
    let resolved = 0;
    const resolve = async () => {
      resolved++;
      return [{ address: "93.184.216.34", family: 4 }];
    };
    await expect(addressCheckingFetch({ resolve })(`http://127.0.0.1:${port}/`, post)).rejects.toThrow(
      CallbackAddressError,
    );
    await expect(addressCheckingFetch({ resolve })(`http://[::1]:${port}/`, post)).rejects.toThrow(
      CallbackAddressError,
    );
    expect(resolved).toBe(0);
  });

  it("refuses a name with no address", async () => {
    await expect(
      addressCheckingFetch({ resolve: async () => [] })(`http://hooks.example.com:${port}/`, post),
    ).rejects.toThrow(/has no address/);
  });

  it("never sends over a connection another check opened: one that allows loopback, or the process's own", async () => {
    // Node 20's http.globalAgent keeps connections alive and pools them by host and port, not by how the address was
    // found: a socket one fetch opened to hooks.example.com (127.0.0.1, allowed there) was reused by a fetch whose
    // own check refuses that name, and the callback went through without a lookup.
    const url = `http://hooks.example.com:${port}/reuse`;
    const toLoopback = async () => [{ address: "127.0.0.1", family: 4 }];
    expect((await addressCheckingFetch({ allowLoopback: true, resolve: toLoopback })(url, post)).status).toBe(204);
    // The app's own request to the same name (split-horizon DNS: internal here), through the global agent.
    await new Promise<void>((resolve, reject) => {
      http
        .get(
          url,
          { lookup: (_host, _options, callback) => callback(null, [{ address: "127.0.0.1", family: 4 }]) },
          (res) => {
            res.resume();
            res.on("end", resolve);
          },
        )
        .on("error", reject);
    });
    const before = received.length;
    await expect(addressCheckingFetch({ resolve: toLoopback })(url, post)).rejects.toThrow(CallbackAddressError);
    await expect(addressCheckingFetch({ resolve: async () => [] })(url, post)).rejects.toThrow(/has no address/);
    expect(received.length).toBe(before);
  });

  it("with loopback allowed, delivers method, headers and body to the resolved address and answers its status", async () => {
    const resolve = async () => [{ address: "127.0.0.1", family: 4 }];
    const response = await addressCheckingFetch({ allowLoopback: true, resolve })(
      `http://hooks.example.com:${port}/cb`,
      post,
    );
    expect(response.status).toBe(204);
    expect(received.at(-1)).toEqual({ method: "POST", body: '{"id":"t"}', type: "application/json" });
  });
});
