/** Type-level tests of the public surface: checked by `tsc` (npm test typechecks test/), asserted by vitest too. */
import { describe, expectTypeOf, it } from "vitest";
import type { components } from "../generated/schema.js";
import {
  type APIError,
  type APIPromise,
  type ClientOptions,
  type CreatedTask,
  type CreateEditParams,
  createKlingClient,
  type DownloadBlobResult,
  type DownloadOptions,
  type DownloadResult,
  type KlingClient,
  type Logger,
  type RequestOptions,
  type RuleViolation,
  type Task,
  type WaitOptions,
  type WithResponse,
} from "../src/index.js";
import type { createNodeCallbackListener, downloadToFile } from "../src/node.js";
import { handleCallback, parseCallback } from "../src/webhooks.js";

describe("public types", () => {
  it("uses the wire's own snake_case types from generated/schema.ts", () => {
    expectTypeOf<Task>().toEqualTypeOf<components["schemas"]["TaskDetail"]>();
    expectTypeOf<CreatedTask>().toEqualTypeOf<components["schemas"]["VideoGenerationResponse"]>();
    expectTypeOf<CreateEditParams["video_urls"]>().toEqualTypeOf<readonly string[]>();
    expectTypeOf<CreateEditParams["aspect_ratio"]>().toEqualTypeOf<"16:9" | "9:16" | "1:1" | undefined>();
    expectTypeOf<CreateEditParams["model"]>().toEqualTypeOf<string | undefined>();
    expectTypeOf<Task["status"]>().toEqualTypeOf<"pending" | "processing" | "completed" | "failed">();
  });

  it("makes model optional and the spec's required fields required", () => {
    expectTypeOf({ prompt: "p", video_urls: ["https://a/b.mp4"] }).toMatchTypeOf<CreateEditParams>();
    expectTypeOf({ prompt: "p", video_urls: ["https://a/b.mp4"] } as const).toMatchTypeOf<CreateEditParams>();
    expectTypeOf({ prompt: "p" }).not.toMatchTypeOf<CreateEditParams>();
    expectTypeOf({ video_urls: ["https://a/b.mp4"] }).not.toMatchTypeOf<CreateEditParams>();
    expectTypeOf({
      prompt: "p",
      video_urls: ["u"],
      aspect_ratio: "4:3" as const,
    }).not.toMatchTypeOf<CreateEditParams>();
    // camelCase is not accepted: the wire's names are the API.
    expectTypeOf({ prompt: "p", videoUrls: ["u"] }).not.toMatchTypeOf<CreateEditParams>();
  });

  it("types the client's calls", () => {
    const client = createKlingClient();
    expectTypeOf(createKlingClient).parameter(0).toEqualTypeOf<ClientOptions | undefined>();
    expectTypeOf(client).toEqualTypeOf<KlingClient>();
    expectTypeOf(client.edits.create).parameters.toEqualTypeOf<[CreateEditParams, (RequestOptions | undefined)?]>();
    expectTypeOf(client.edits.create).returns.toEqualTypeOf<APIPromise<CreatedTask>>();
    expectTypeOf(client.tasks.get).returns.toEqualTypeOf<APIPromise<Task>>();
    expectTypeOf(client.tasks.get).returns.resolves.toEqualTypeOf<Task>();
    expectTypeOf<ReturnType<APIPromise<Task>["withResponse"]>>().resolves.toEqualTypeOf<WithResponse<Task>>();
    expectTypeOf<WithResponse<Task>["requestId"]>().toEqualTypeOf<string | null>();
    expectTypeOf<WithResponse<Task>["response"]>().toEqualTypeOf<Response>();
    expectTypeOf(client.tasks.wait).returns.toEqualTypeOf<Promise<Task>>();
    expectTypeOf(client.tasks.wait).parameter(1).toEqualTypeOf<WaitOptions | undefined>();
    expectTypeOf(client.edits.createAndWait).returns.toEqualTypeOf<Promise<Task>>();
    expectTypeOf(client.download).parameter(0).toEqualTypeOf<Task | string>();
    // Every DownloadOptions field still fits (issue 12 widened it with resume, expiresAt, headers, retries).
    expectTypeOf<DownloadOptions>().toMatchTypeOf<NonNullable<Parameters<typeof client.download>[2]>>();
    expectTypeOf(client.download).returns.toEqualTypeOf<Promise<DownloadResult>>();
    expectTypeOf(client.downloadBlob).returns.toEqualTypeOf<Promise<DownloadBlobResult>>();
  });

  it("types the options as agreed", () => {
    expectTypeOf<RequestOptions["signal"]>().toEqualTypeOf<AbortSignal | undefined>();
    expectTypeOf<RequestOptions["timeoutMs"]>().toEqualTypeOf<number | undefined>();
    expectTypeOf<WaitOptions["onProgress"]>().toEqualTypeOf<((task: Task) => void) | undefined>();
    expectTypeOf<DownloadOptions["onProgress"]>().toEqualTypeOf<
      ((bytes: number, total: number | null) => void) | undefined
    >();
    expectTypeOf<ClientOptions["validateResponses"]>().toEqualTypeOf<boolean | "warn" | undefined>();
    expectTypeOf(console).toMatchTypeOf<Logger>();
  });

  it("types errors and webhooks", () => {
    expectTypeOf<APIError["status"]>().toEqualTypeOf<number>();
    expectTypeOf<APIError["code"]>().toEqualTypeOf<number | string | undefined>();
    expectTypeOf<RuleViolation>().toHaveProperty("field");
    expectTypeOf(parseCallback).returns.toEqualTypeOf<Task>();
    expectTypeOf(handleCallback).parameter(0).toEqualTypeOf<Request>();
    expectTypeOf(handleCallback).returns.toEqualTypeOf<Promise<Response>>();
    expectTypeOf<typeof downloadToFile>().returns.toEqualTypeOf<Promise<DownloadResult>>();
    expectTypeOf<ReturnType<typeof createNodeCallbackListener>>().toBeFunction();
  });
});
