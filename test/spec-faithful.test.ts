/**
 * The spec must keep every fact the seed page states. Each row is one fact, read from the seed
 * (../shared/seed/kling-o1-video-edit.openapi.txt) and task-detail-notes.md, looked up in spec/ by path.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

const spec = parse(readFileSync(new URL("../spec/kling-o1-video-edit.yaml", import.meta.url), "utf8"));

function at(path: string): unknown {
  let node: unknown = spec;
  for (const part of path.split(".")) {
    const key = part.replaceAll("~", ".");
    if (typeof node !== "object" || node === null) return undefined;
    node = (node as Record<string, unknown>)[key];
    // Follow a local $ref transparently, so a fact holds wherever the spec chose to put it.
    while (typeof node === "object" && node !== null && "$ref" in node) {
      node = (node as { $ref: string }).$ref
        .slice(2)
        .split("/")
        .reduce<unknown>((n, k) => (n as Record<string, unknown>)[k.replaceAll("~1", "/")], spec);
    }
  }
  return node;
}

const create = "paths./v1/videos/generations.post";
const req = "components.schemas.VideoGenerationRequest.properties";
const res = "components.schemas.VideoGenerationResponse.properties";
const errorExample = (status: string) => `${create}.responses.${status}.content.application/json.example.error`;

const facts: [string, unknown][] = [
  ["openapi", "3.1.0"],
  ["jsonSchemaDialect", "https://json-schema.org/draft/2020-12/schema"],
  ["info.title", "kling-o1-video-edit API"],
  ["info.version", "1.0.0"],
  ["info.license.name", "MIT"],
  ["servers.0.url", "https://ai.odkkk.com/apiv1"],
  ["servers.0.description", "Production"],
  ["security.0.bearerAuth", []],
  ["components.securitySchemes.bearerAuth.type", "http"],
  ["components.securitySchemes.bearerAuth.scheme", "bearer"],
  ["tags.0.name", "Video Generation"],
  ["tags.0.description", "AI video generation APIs"],
  [`${create}.operationId`, "createVideoGeneration"],
  [`${create}.summary`, "kling-o1-video-edit API"],
  [`${create}.requestBody.required`, true],
  [`${create}.requestBody.content.application/json.examples.video_edit.summary`, "Video Edit"],
  [
    `${create}.requestBody.content.application/json.examples.video_edit_with_reference.summary`,
    "Video Edit with Reference Image",
  ],
  [
    `${create}.requestBody.content.application/json.examples.video_edit_with_reference.value.image_urls`,
    ["https://example.com/reference.jpg"],
  ],
  [`${create}.responses.200.description`, "Video generation task created successfully"],
  [`${create}.responses.400.description`, "Invalid request parameters"],
  [`${create}.responses.401.description`, "Unauthenticated, invalid or expired token"],
  [`${create}.responses.402.description`, "Insufficient quota, recharge required"],
  [`${create}.responses.403.description`, "Access denied"],
  [`${create}.responses.404.description`, "Resource not found"],
  [`${create}.responses.429.description`, "Rate limit exceeded"],
  [`${create}.responses.500.description`, "Internal server error"],
  [`${create}.responses.502.description`, "Upstream service error"],
  [`${create}.responses.503.description`, "Service temporarily unavailable"],
  [errorExample("400"), { code: 400, message: "Invalid request parameter", type: "invalid_request_error" }],
  [errorExample("401"), { code: 401, message: "Invalid or expired token", type: "authentication_error" }],
  [
    errorExample("402"),
    {
      code: 402,
      message: "Insufficient quota",
      type: "insufficient_quota_error",
      fallback_suggestion: "https://ai.odkkk.com/apiv1/dashboard/billing",
    },
  ],
  [
    errorExample("403"),
    { code: 403, message: "Access denied for this model", type: "permission_error", param: "model" },
  ],
  [
    errorExample("404"),
    {
      code: 404,
      message: "Specified model not found",
      type: "not_found_error",
      param: "model",
      fallback_suggestion: "kling-o1-video-edit",
    },
  ],
  [
    errorExample("429"),
    {
      code: 429,
      message: "Rate limit exceeded",
      type: "rate_limit_error",
      fallback_suggestion: "retry after 60 seconds",
    },
  ],
  [
    errorExample("500"),
    {
      code: 500,
      message: "Internal server error",
      type: "internal_server_error",
      fallback_suggestion: "try again later",
    },
  ],
  [
    errorExample("502"),
    {
      code: 502,
      message: "Upstream AI service unavailable",
      type: "upstream_error",
      fallback_suggestion: "try different model",
    },
  ],
  [
    errorExample("503"),
    {
      code: 503,
      message: "Service temporarily unavailable",
      type: "service_unavailable_error",
      fallback_suggestion: "retry after 30 seconds",
    },
  ],
  ["components.schemas.VideoGenerationRequest.required", ["model", "prompt", "video_urls"]],
  [`${req}.model.default`, "kling-o1-video-edit"],
  [`${req}.prompt.maxLength`, 5000],
  [`${req}.video_urls.minItems`, 1],
  [`${req}.video_urls.maxItems`, 1],
  [`${req}.video_urls.items.format`, "uri"],
  [`${req}.image_urls.minItems`, 1],
  [`${req}.image_urls.maxItems`, 4],
  [`${req}.image_urls.items.format`, "uri"],
  [`${req}.aspect_ratio.enum`, ["16:9", "9:16", "1:1"]],
  [`${req}.keep_original_sound.type`, "boolean"],
  [`${req}.callback_url.format`, "uri"],
  [`${req}.callback_url.maxLength`, 2048],
  [`${res}.object.enum`, ["video.generation.task"]],
  [`${res}.progress.minimum`, 0],
  [`${res}.progress.maximum`, 100],
  [`${res}.status.enum`, ["pending", "processing", "completed", "failed"]],
  [`${res}.type.enum`, ["text", "image", "audio", "video"]],
  [`${res}.task_info.properties.estimated_time.minimum`, 0],
  [`${res}.usage.properties.billing_rule.enum`, ["per_call", "per_token", "per_second"]],
  [`${res}.usage.properties.credits_reserved.minimum`, 0],
  ["components.schemas.ErrorDetail.properties.code.type", "integer"],
  // task-detail-notes.md
  ["paths./v1/tasks/{task_id}.get.operationId", "getTaskDetail"],
  ["paths./v1/tasks/{task_id}.get.parameters.0.name", "task_id"],
  ["paths./v1/tasks/{task_id}.get.parameters.0.required", true],
  [
    "components.schemas.TaskDetail.properties.object.enum",
    ["image.generation.task", "video.generation.task", "audio.generation.task"],
  ],
  ["components.schemas.TaskDetail.properties.results.items.format", "uri"],
  ["components.schemas.TaskDetail.properties.type.enum", ["image", "video", "audio", "text"]],
  ["components.schemas.TaskFailure.properties.code.type", "string"],
  [
    "paths./v1/tasks/{task_id}.get.responses.400.content.application/json.example.error",
    {
      code: "invalid_task_id",
      message: "Invalid task ID format, must start with 'task-unified-'",
      type: "invalid_request_error",
      param: "task_id",
    },
  ],
  [
    "paths./v1/tasks/{task_id}.get.responses.200.content.application/json.examples.provider_example.value.results",
    ["http://example.com/image.jpg"],
  ],
];

describe("the spec keeps every fact of the seed", () => {
  it.each(facts)("%s", (path, want) => {
    expect(at(path)).toEqual(want);
  });

  it.each([
    ["video duration", /`3` to `10` seconds/],
    ["billing of short and long videos", /billed as `3` seconds.*billed as `10` seconds/s],
    ["video size", /up to `100MB`/],
    ["video formats", /`\.mp4`, `\.mov`/],
  ])("video_urls notes: %s", (_fact, pattern) => {
    expect(at(`${req}.video_urls.description`)).toMatch(pattern);
  });

  it.each([
    ["up to 4 images", /up to `4` reference images/],
    ["image size", /up to `10MB`/],
    ["image formats", /`\.jpg`, `\.jpeg`, `\.png`, `\.webp`/],
  ])("image_urls notes: %s", (_fact, pattern) => {
    expect(at(`${req}.image_urls.description`)).toMatch(pattern);
  });

  it.each([
    ["HTTPS only", /HTTPS protocol only/],
    [
      "no internal addresses",
      /Internal IP addresses are prohibited \(127\.0\.0\.1, 10\.x\.x\.x, 172\.16-31\.x\.x, 192\.168\.x\.x/,
    ],
    ["length", /must not exceed `2048` characters/],
    ["timeout", /Timeout: `10` seconds/],
    ["retries", /Maximum `3` retries after failure \(at `1`\/`2`\/`4` seconds/],
    ["payload", /consistent with task query API/],
    ["2xx is success", /2xx status code is considered successful/],
  ])("callback_url notes: %s", (_fact, pattern) => {
    expect(at(`${req}.callback_url.description`)).toMatch(pattern);
  });

  it("models the callback with the task object as its body", () => {
    const callback = at(`${create}.callbacks.taskFinished`) as Record<string, { post: unknown }>;
    const [expression, item] = Object.entries(callback)[0] ?? [];
    expect(expression).toBe("{$request.body#/callback_url}");
    expect(item?.post).toMatchObject({
      requestBody: { content: { "application/json": { schema: { $ref: "#/components/schemas/TaskDetail" } } } },
    });
  });

  it("says which parts of the task query operation are inferred", () => {
    expect(at("paths./v1/tasks/{task_id}.get.description")).toMatch(/Inferred.*404/s);
  });
});
