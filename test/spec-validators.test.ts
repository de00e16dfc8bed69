import { describe, expect, it } from "vitest";
import { operations } from "../generated/operations.js";
import {
  type SchemaName,
  validateErrorResponse,
  validateTaskDetail,
  validateTaskQueryErrorResponse,
  validateVideoGenerationRequest,
  validateVideoGenerationResponse,
  validators,
} from "../generated/validators.js";

const request = {
  model: "kling-o1-video-edit",
  prompt: "Make the video more cinematic",
  video_urls: ["https://example.com/original-video.mp4"],
};
const created = {
  created: 1757169743,
  id: "task-unified-1757169743-7cvnl5zw",
  model: "kling-o1-video-edit",
  object: "video.generation.task",
  progress: 0,
  status: "pending",
  task_info: { can_cancel: true, estimated_time: 300, video_duration: 9 },
  type: "video",
  usage: { billing_rule: "per_call", credits_reserved: 7, user_group: "default" },
};
const completed = {
  id: "task-unified-1756817821-4x3rx6ny",
  object: "video.generation.task",
  progress: 100,
  status: "completed",
  results: ["https://example.com/result.mp4"],
  type: "video",
};

describe("every example in the spec validates against its own schema", () => {
  const cases: [string, SchemaName, unknown][] = [];
  for (const [id, op] of Object.entries(operations)) {
    const bodies: [string, { schema: string | null; example?: unknown; examples?: Record<string, unknown> }][] = [];
    if (op.requestBody) bodies.push([`${id} request`, op.requestBody]);
    for (const [status, res] of Object.entries(op.responses)) {
      if ("body" in res) bodies.push([`${id} ${status}`, res.body]);
    }
    for (const [where, body] of bodies) {
      const schema = body.schema as SchemaName;
      if (body.example !== undefined) cases.push([where, schema, body.example]);
      for (const [name, value] of Object.entries(body.examples ?? {})) cases.push([`${where} ${name}`, schema, value]);
    }
  }

  it("finds every example the seed states (2 request, 1 per error status, plus the task query's)", () => {
    // 2 request examples + create's 200 + 9 create errors + 4 task-detail 200s + 7 task-detail errors.
    expect(cases).toHaveLength(23);
  });

  it.each(cases)("%s (%s)", (_where, schema, example) => {
    const validate = validators[schema];
    expect(validate(example), JSON.stringify(validate.errors)).toBe(true);
  });
});

/** Each row breaks one rule the seed states; the validator must reject it and point at the field. */
const requestRules: [string, { given: Record<string, unknown>; pointer: string; keyword: string }][] = [
  ["model is required", { given: { ...request, model: undefined }, pointer: "", keyword: "required" }],
  ["prompt is required", { given: { ...request, prompt: undefined }, pointer: "", keyword: "required" }],
  ["video_urls is required", { given: { ...request, video_urls: undefined }, pointer: "", keyword: "required" }],
  ["model is a string", { given: { ...request, model: 1 }, pointer: "/model", keyword: "type" }],
  [
    "prompt is at most 5000 characters",
    { given: { ...request, prompt: "x".repeat(5001) }, pointer: "/prompt", keyword: "maxLength" },
  ],
  [
    "video_urls has at least 1 item",
    { given: { ...request, video_urls: [] }, pointer: "/video_urls", keyword: "minItems" },
  ],
  [
    "video_urls has at most 1 item",
    {
      given: { ...request, video_urls: ["https://a.com/1.mp4", "https://a.com/2.mp4"] },
      pointer: "/video_urls",
      keyword: "maxItems",
    },
  ],
  [
    "video_urls items are URIs",
    { given: { ...request, video_urls: ["not a url"] }, pointer: "/video_urls/0", keyword: "format" },
  ],
  [
    "image_urls has at least 1 item",
    { given: { ...request, image_urls: [] }, pointer: "/image_urls", keyword: "minItems" },
  ],
  [
    "image_urls has at most 4 items",
    {
      given: { ...request, image_urls: Array.from({ length: 5 }, (_, i) => `https://a.com/${i}.jpg`) },
      pointer: "/image_urls",
      keyword: "maxItems",
    },
  ],
  [
    "image_urls items are URIs",
    { given: { ...request, image_urls: ["ref.jpg"] }, pointer: "/image_urls/0", keyword: "format" },
  ],
  [
    "aspect_ratio is one of 16:9, 9:16, 1:1",
    { given: { ...request, aspect_ratio: "4:3" }, pointer: "/aspect_ratio", keyword: "enum" },
  ],
  [
    "keep_original_sound is a boolean",
    { given: { ...request, keep_original_sound: "yes" }, pointer: "/keep_original_sound", keyword: "type" },
  ],
  [
    "callback_url is a URI",
    { given: { ...request, callback_url: "https://exa mple.com/hook" }, pointer: "/callback_url", keyword: "format" },
  ],
  [
    "callback_url is HTTPS",
    { given: { ...request, callback_url: "http://example.com/hook" }, pointer: "/callback_url", keyword: "pattern" },
  ],
  [
    "callback_url is at most 2048 characters",
    {
      given: { ...request, callback_url: `https://example.com/${"a".repeat(2030)}` },
      pointer: "/callback_url",
      keyword: "maxLength",
    },
  ],
];

describe("VideoGenerationRequest rejects each broken rule", () => {
  it.each(requestRules)("%s", (_rule, { given, pointer, keyword }) => {
    const body = JSON.parse(JSON.stringify(given));
    expect(validateVideoGenerationRequest(body)).toBe(false);
    expect(validateVideoGenerationRequest.errors).toContainEqual(
      expect.objectContaining({ instancePath: pointer, keyword }),
    );
  });

  it("accepts the limits themselves", () => {
    const atLimits = {
      ...request,
      prompt: "x".repeat(5000),
      image_urls: Array.from({ length: 4 }, (_, i) => `https://a.com/${i}.jpg`),
      aspect_ratio: "9:16",
      keep_original_sound: false,
      callback_url: `https://example.com/${"a".repeat(2048 - "https://example.com/".length)}`,
    };
    expect(atLimits.callback_url).toHaveLength(2048);
    expect(validateVideoGenerationRequest(atLimits), JSON.stringify(validateVideoGenerationRequest.errors)).toBe(true);
  });

  it("lists every broken rule at once", () => {
    expect(validateVideoGenerationRequest({ prompt: 5, video_urls: [], aspect_ratio: "4:3" })).toBe(false);
    const fields = validateVideoGenerationRequest.errors?.map((e) => e.instancePath || e.params.missingProperty);
    expect(fields).toEqual(expect.arrayContaining(["model", "/prompt", "/video_urls", "/aspect_ratio"]));
  });
});

const responseRules: [string, { validate: (d: unknown) => boolean; given: unknown; pointer: string }][] = [
  [
    "create: id is present",
    { validate: validateVideoGenerationResponse, given: { ...created, id: undefined }, pointer: "" },
  ],
  [
    "create: status is an enum",
    { validate: validateVideoGenerationResponse, given: { ...created, status: "done" }, pointer: "/status" },
  ],
  [
    "create: progress >= 0",
    { validate: validateVideoGenerationResponse, given: { ...created, progress: -1 }, pointer: "/progress" },
  ],
  [
    "create: progress <= 100",
    { validate: validateVideoGenerationResponse, given: { ...created, progress: 101 }, pointer: "/progress" },
  ],
  [
    "create: progress is an integer",
    { validate: validateVideoGenerationResponse, given: { ...created, progress: 1.5 }, pointer: "/progress" },
  ],
  [
    "create: created is an integer",
    { validate: validateVideoGenerationResponse, given: { ...created, created: "now" }, pointer: "/created" },
  ],
  [
    "create: object is an enum",
    {
      validate: validateVideoGenerationResponse,
      given: { ...created, object: "image.generation.task" },
      pointer: "/object",
    },
  ],
  [
    "create: type is an enum",
    { validate: validateVideoGenerationResponse, given: { ...created, type: "gif" }, pointer: "/type" },
  ],
  [
    "create: estimated_time >= 0",
    {
      validate: validateVideoGenerationResponse,
      given: { ...created, task_info: { estimated_time: -5 } },
      pointer: "/task_info/estimated_time",
    },
  ],
  [
    "create: can_cancel is a boolean",
    {
      validate: validateVideoGenerationResponse,
      given: { ...created, task_info: { can_cancel: "no" } },
      pointer: "/task_info/can_cancel",
    },
  ],
  [
    "create: billing_rule is an enum",
    {
      validate: validateVideoGenerationResponse,
      given: { ...created, usage: { billing_rule: "free" } },
      pointer: "/usage/billing_rule",
    },
  ],
  [
    "create: credits_reserved >= 0",
    {
      validate: validateVideoGenerationResponse,
      given: { ...created, usage: { credits_reserved: -1 } },
      pointer: "/usage/credits_reserved",
    },
  ],
  [
    "task: completed carries results",
    { validate: validateTaskDetail, given: { ...completed, results: undefined }, pointer: "" },
  ],
  [
    "task: completed results are not empty",
    { validate: validateTaskDetail, given: { ...completed, results: [] }, pointer: "/results" },
  ],
  [
    "task: results are URIs",
    { validate: validateTaskDetail, given: { ...completed, results: ["result.mp4"] }, pointer: "/results/0" },
  ],
  [
    "task: failed carries error",
    { validate: validateTaskDetail, given: { ...completed, status: "failed", results: undefined }, pointer: "" },
  ],
  [
    "task: error.code is a string business code",
    {
      validate: validateTaskDetail,
      given: { ...completed, status: "failed", error: { code: 500, message: "x" } },
      pointer: "/error/code",
    },
  ],
  [
    "task: object is an enum",
    { validate: validateTaskDetail, given: { ...completed, object: "text.generation.task" }, pointer: "/object" },
  ],
  [
    "task: progress <= 100",
    { validate: validateTaskDetail, given: { ...completed, progress: 150 }, pointer: "/progress" },
  ],
  ["error: the envelope is present", { validate: validateErrorResponse, given: { message: "x" }, pointer: "" }],
  [
    "task error: the envelope is present",
    { validate: validateTaskQueryErrorResponse, given: { message: "x" }, pointer: "" },
  ],
  [
    "error: code is an integer",
    { validate: validateErrorResponse, given: { error: { code: "400" } }, pointer: "/error/code" },
  ],
  [
    "error: message is a string",
    { validate: validateErrorResponse, given: { error: { code: 400, message: 1 } }, pointer: "/error/message" },
  ],
  [
    "task error: code is integer or string",
    { validate: validateTaskQueryErrorResponse, given: { error: { code: true } }, pointer: "/error/code" },
  ],
];

describe("response validators reject each broken rule", () => {
  it.each(responseRules)("%s", (_rule, { validate, given, pointer }) => {
    const body = JSON.parse(JSON.stringify(given));
    expect(validate(body)).toBe(false);
    const errors = (validate as unknown as { errors: { instancePath: string }[] }).errors;
    expect(errors.map((e) => e.instancePath)).toContain(pointer);
  });

  it("accepts a pending task without results and a task query error with a string code", () => {
    expect(validateTaskDetail({ id: "task-unified-1", status: "pending", progress: 0 })).toBe(true);
    expect(validateTaskQueryErrorResponse({ error: { code: "invalid_task_id", param: "task_id" } })).toBe(true);
    expect(validateTaskQueryErrorResponse({ error: { code: 404 } })).toBe(true);
  });
});
