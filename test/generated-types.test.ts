import { describe, expectTypeOf, it } from "vitest";
import type { components, operations, paths } from "../generated/schema.js";
import type * as Facts from "../generated/spec-facts.js";
import type { APIErrorDetail, Task, TaskStatus } from "../src/index.js";

type Schemas = components["schemas"];

describe("generated types accept the seed's examples", () => {
  it("request examples", () => {
    const videoEdit = {
      model: "kling-o1-video-edit",
      prompt: "Make the video more cinematic",
      video_urls: ["https://example.com/original-video.mp4"],
    } satisfies Schemas["VideoGenerationRequest"];
    const withReference = {
      ...videoEdit,
      image_urls: ["https://example.com/reference.jpg"],
      aspect_ratio: "16:9",
      keep_original_sound: true,
      callback_url: "https://your-domain.com/webhooks/video-task-completed",
    } satisfies Schemas["VideoGenerationRequest"];
    expectTypeOf(withReference.aspect_ratio).toEqualTypeOf<"16:9">();
    expectTypeOf<Schemas["VideoGenerationRequest"]["aspect_ratio"]>().toEqualTypeOf<
      "16:9" | "9:16" | "1:1" | undefined
    >();
    expectTypeOf<Schemas["VideoGenerationRequest"]["video_urls"]>().toEqualTypeOf<string[]>();
    // @ts-expect-error video_urls is required
    ({ model: "kling-o1-video-edit", prompt: "x" }) satisfies Schemas["VideoGenerationRequest"];
    // @ts-expect-error aspect_ratio is an enum
    ({ ...videoEdit, aspect_ratio: "4:3" }) satisfies Schemas["VideoGenerationRequest"];
  });

  it("response and error examples", () => {
    ({
      created: 1757169743,
      id: "task-unified-1757169743-7cvnl5zw",
      model: "kling-o1-video-edit",
      object: "video.generation.task",
      progress: 0,
      status: "pending",
      task_info: { can_cancel: true, estimated_time: 300, video_duration: 9 },
      type: "video",
      usage: { billing_rule: "per_call", credits_reserved: 7, user_group: "default" },
    }) satisfies Schemas["VideoGenerationResponse"];
    ({
      created: 1756817821,
      id: "task-unified-1756817821-4x3rx6ny",
      model: "gpt-4o-image",
      object: "image.generation.task",
      progress: 100,
      results: ["http://example.com/image.jpg"],
      status: "completed",
      task_info: { can_cancel: false },
      type: "image",
    }) satisfies Schemas["TaskDetail"];
    ({
      error: {
        code: 402,
        message: "Insufficient quota",
        type: "insufficient_quota_error",
        fallback_suggestion: "https://ai.odkkk.com/apiv1/dashboard/billing",
      },
    }) satisfies Schemas["ErrorResponse"];
    ({
      error: {
        code: "invalid_task_id",
        message: "Invalid task ID format",
        type: "invalid_request_error",
        param: "task_id",
      },
    }) satisfies Schemas["TaskQueryErrorResponse"];
    expectTypeOf<Schemas["TaskDetail"]["status"]>().toEqualTypeOf<"pending" | "processing" | "completed" | "failed">();
    expectTypeOf<NonNullable<Schemas["TaskFailure"]["code"]>>().toEqualTypeOf<string>();
    expectTypeOf<NonNullable<NonNullable<Schemas["ErrorResponse"]["error"]>["code"]>>().toEqualTypeOf<number>();
  });

  it("operations are typed by path and status", () => {
    expectTypeOf<paths["/v1/tasks/{task_id}"]["get"]["parameters"]["path"]>().toEqualTypeOf<{ task_id: string }>();
    expectTypeOf<operations["createVideoGeneration"]["responses"][200]["content"]["application/json"]>().toEqualTypeOf<
      Schemas["VideoGenerationResponse"]
    >();
    expectTypeOf<operations["getTaskDetail"]["responses"][400]["content"]["application/json"]>().toEqualTypeOf<
      Schemas["TaskQueryErrorResponse"]
    >();
  });
});

describe("spec-facts.ts: enums as const arrays whose unions are exactly the schema's types", () => {
  it("each derived union equals openapi-typescript's type for the same enum", () => {
    expectTypeOf<Facts.TaskStatus>().toEqualTypeOf<Schemas["TaskStatus"]>();
    expectTypeOf<Facts.VideoGenerationRequestAspectRatio>().toEqualTypeOf<
      NonNullable<Schemas["VideoGenerationRequest"]["aspect_ratio"]>
    >();
    expectTypeOf<Facts.TaskDetailObject>().toEqualTypeOf<NonNullable<Schemas["TaskDetail"]["object"]>>();
    expectTypeOf<Facts.TaskDetailType>().toEqualTypeOf<NonNullable<Schemas["TaskDetail"]["type"]>>();
    expectTypeOf<Facts.VideoGenerationResponseType>().toEqualTypeOf<
      NonNullable<Schemas["VideoGenerationResponse"]["type"]>
    >();
    expectTypeOf<Facts.VideoUsageBillingRule>().toEqualTypeOf<NonNullable<Schemas["VideoUsage"]["billing_rule"]>>();
    expectTypeOf<(typeof Facts.TASK_STATUS_VALUES)[number]>().toEqualTypeOf<Schemas["TaskStatus"]>();
  });

  it("the public types built on them are unchanged", () => {
    expectTypeOf<TaskStatus>().toEqualTypeOf<"pending" | "processing" | "completed" | "failed">();
    expectTypeOf<Task>().toEqualTypeOf<Schemas["TaskDetail"]>();
    expectTypeOf<APIErrorDetail>().toEqualTypeOf<{
      code?: number | string;
      message?: string;
      type?: string;
      param?: string;
      fallback_suggestion?: string;
    }>();
  });
});
