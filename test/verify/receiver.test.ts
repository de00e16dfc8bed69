/** The callback receiver on a loopback port: modes by URL, what it keeps of each delivery, and settle. */
import { afterEach, describe, expect, it } from "vitest";
import { type CallbackReceiver, startCallbackReceiver } from "../../src/verify/receiver.js";
import type { Exchange } from "../../src/verify/types.js";

let receiver: CallbackReceiver | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

const deliver = (url: string, body: unknown = { id: "t", status: "completed" }) =>
  fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

describe("startCallbackReceiver", () => {
  it("hands out one URL per task under its base (a public URL's trailing slash dropped)", async () => {
    receiver = await startCallbackReceiver({ publicUrl: "https://tunnel.example.com/hooks/" });
    expect(receiver.url).toBe("https://tunnel.example.com/hooks");
    expect(receiver.localUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect([receiver.callbackUrl("ack"), receiver.callbackUrl("fail"), receiver.callbackUrl("slow")]).toEqual([
      "https://tunnel.example.com/hooks/ack-1",
      "https://tunnel.example.com/hooks/fail-2",
      "https://tunnel.example.com/hooks/slow-3",
    ]);
  });

  it("answers ack with 204 and fail with 500, keeping method, path, headers and the parsed body", async () => {
    receiver = await startCallbackReceiver();
    const ack = receiver.callbackUrl("ack");
    const fail = receiver.callbackUrl("fail");
    expect((await deliver(`${ack}?kling_job=j1`)).status).toBe(204);
    expect((await deliver(fail)).status).toBe(500);
    expect((await deliver(`${receiver.url}/unknown-path`)).status).toBe(204);
    const [first] = receiver.deliveriesTo(ack);
    expect(first?.delivery).toMatchObject({
      method: "POST",
      path: "/callbacks/ack-1?kling_job=j1",
      headers: { "content-type": "application/json" },
      body: { id: "t", status: "completed" },
    });
    expect(first?.answered).toBe(204);
    expect(first?.endedAt).toBeGreaterThanOrEqual(first?.receivedAt ?? Number.POSITIVE_INFINITY);
    expect(receiver.deliveriesTo(fail).map((d) => d.answered)).toEqual([500]);
    expect(receiver.received.map((d) => d.mode)).toEqual(["ack", "fail", undefined]);
  });

  it("holds only the first delivery to a slow URL", async () => {
    // A hold far longer than the test, so the second delivery is answered while the first is surely still held
    // (a 60 ms hold expired under load before the second delivery arrived); close() ends the held one.
    receiver = await startCallbackReceiver({ slowHoldMs: 600_000 });
    const slow = receiver.callbackUrl("slow");
    const held = deliver(slow).then(
      () => "answered",
      () => "cut off",
    );
    await expect.poll(() => receiver?.deliveriesTo(slow).length).toBe(1);
    const second = await deliver(slow);
    expect(second.status).toBe(204);
    expect(receiver.deliveriesTo(slow).map((d) => d.answered)).toEqual([undefined, 204]);
    await receiver.close();
    receiver = undefined;
    expect(await held).toBe("cut off");
  });

  it("answers a held slow delivery once slowHoldMs has passed", async () => {
    receiver = await startCallbackReceiver({ slowHoldMs: 60 });
    const slow = receiver.callbackUrl("slow");
    expect((await deliver(slow)).status).toBe(204);
    const [only] = receiver.deliveriesTo(slow);
    expect(only?.answered).toBe(204);
    expect((only?.endedAt ?? 0) - (only?.receivedAt ?? Number.POSITIVE_INFINITY)).toBeGreaterThanOrEqual(59);
  });

  it("keeps what onDelivery measured, and answers even when it fails", async () => {
    const get = { operationId: "getTaskDetail" } as Exchange;
    let calls = 0;
    receiver = await startCallbackReceiver({
      onDelivery: async () => {
        calls++;
        if (calls === 2) throw new Error("query failed");
        return get;
      },
    });
    const url = receiver.callbackUrl("ack");
    await deliver(url);
    expect((await deliver(url)).status).toBe(204);
    expect(receiver.deliveriesTo(url).map((d) => d.get)).toEqual([get, undefined]);
  });

  it("settle gives [] when nothing arrives in time, and the deliveries once they are over and quiet", async () => {
    receiver = await startCallbackReceiver();
    const url = receiver.callbackUrl("ack");
    expect(await receiver.settle(url, { quietMs: 10, firstWithinMs: 20, maxWaitMs: 1000 })).toEqual([]);
    await deliver(url);
    const settled = await receiver.settle(url, { quietMs: 10, firstWithinMs: 1000, maxWaitMs: 1000 });
    expect(settled.map((d) => d.answered)).toEqual([204]);
  });
});
