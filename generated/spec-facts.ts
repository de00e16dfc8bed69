// generated from spec/kling-o1-video-edit.yaml by scripts/generate.ts - do not edit
import type { components } from "./schema.js";
/** components.schemas.VideoGenerationRequest. */
export type VideoGenerationRequest = components["schemas"]["VideoGenerationRequest"];
/** components.schemas.VideoGenerationRequest.properties.model.default */
export const VIDEO_GENERATION_REQUEST_MODEL_DEFAULT = "kling-o1-video-edit";
/** components.schemas.VideoGenerationRequest.properties.prompt.maxLength */
export const VIDEO_GENERATION_REQUEST_PROMPT_MAX_LENGTH = 5000;
/** components.schemas.VideoGenerationRequest.properties.video_urls.description: "Supported formats: `.mp4`, `.mov`" (prose: no schema keyword states it). */
export const VIDEO_GENERATION_REQUEST_VIDEO_URLS_SUPPORTED_FORMATS = [".mp4",".mov"] as const;
/** components.schemas.VideoGenerationRequest.properties.video_urls.minItems */
export const VIDEO_GENERATION_REQUEST_VIDEO_URLS_MIN_ITEMS = 1;
/** components.schemas.VideoGenerationRequest.properties.video_urls.maxItems */
export const VIDEO_GENERATION_REQUEST_VIDEO_URLS_MAX_ITEMS = 1;
/** components.schemas.VideoGenerationRequest.properties.image_urls.description: "Supported formats: `.jpg`, `.jpeg`, `.png`, `.webp`" (prose: no schema keyword states it). */
export const VIDEO_GENERATION_REQUEST_IMAGE_URLS_SUPPORTED_FORMATS = [".jpg",".jpeg",".png",".webp"] as const;
/** components.schemas.VideoGenerationRequest.properties.image_urls.minItems */
export const VIDEO_GENERATION_REQUEST_IMAGE_URLS_MIN_ITEMS = 1;
/** components.schemas.VideoGenerationRequest.properties.image_urls.maxItems */
export const VIDEO_GENERATION_REQUEST_IMAGE_URLS_MAX_ITEMS = 4;
/** components.schemas.VideoGenerationRequest.properties.aspect_ratio.enum: every value, in the spec's order. */
export const VIDEO_GENERATION_REQUEST_ASPECT_RATIO_VALUES = ["16:9","9:16","1:1"] as const satisfies readonly NonNullable<components["schemas"]["VideoGenerationRequest"]["aspect_ratio"]>[];
/** One of {@link VIDEO_GENERATION_REQUEST_ASPECT_RATIO_VALUES}. */
export type VideoGenerationRequestAspectRatio = (typeof VIDEO_GENERATION_REQUEST_ASPECT_RATIO_VALUES)[number];
/** components.schemas.VideoGenerationRequest.properties.callback_url.maxLength */
export const VIDEO_GENERATION_REQUEST_CALLBACK_URL_MAX_LENGTH = 2048;
/** components.schemas.VideoGenerationRequest.properties.callback_url.pattern */
export const VIDEO_GENERATION_REQUEST_CALLBACK_URL_PATTERN = "^[Hh][Tt][Tt][Pp][Ss]://";
/** components.schemas.VideoGenerationResponse. */
export type VideoGenerationResponse = components["schemas"]["VideoGenerationResponse"];
/** components.schemas.VideoGenerationResponse.properties.object.enum: every value, in the spec's order. */
export const VIDEO_GENERATION_RESPONSE_OBJECT_VALUES = ["video.generation.task"] as const satisfies readonly NonNullable<components["schemas"]["VideoGenerationResponse"]["object"]>[];
/** One of {@link VIDEO_GENERATION_RESPONSE_OBJECT_VALUES}. */
export type VideoGenerationResponseObject = (typeof VIDEO_GENERATION_RESPONSE_OBJECT_VALUES)[number];
/** components.schemas.VideoGenerationResponse.properties.progress.minimum */
export const VIDEO_GENERATION_RESPONSE_PROGRESS_MINIMUM = 0;
/** components.schemas.VideoGenerationResponse.properties.progress.maximum */
export const VIDEO_GENERATION_RESPONSE_PROGRESS_MAXIMUM = 100;
/** components.schemas.VideoGenerationResponse.properties.type.enum: every value, in the spec's order. */
export const VIDEO_GENERATION_RESPONSE_TYPE_VALUES = ["text","image","audio","video"] as const satisfies readonly NonNullable<components["schemas"]["VideoGenerationResponse"]["type"]>[];
/** One of {@link VIDEO_GENERATION_RESPONSE_TYPE_VALUES}. */
export type VideoGenerationResponseType = (typeof VIDEO_GENERATION_RESPONSE_TYPE_VALUES)[number];
/** components.schemas.TaskStatus.enum: every value, in the spec's order. */
export const TASK_STATUS_VALUES = ["pending","processing","completed","failed"] as const satisfies readonly components["schemas"]["TaskStatus"][];
/** One of {@link TASK_STATUS_VALUES}. */
export type TaskStatus = (typeof TASK_STATUS_VALUES)[number];
/** components.schemas.TaskDetail. */
export type TaskDetail = components["schemas"]["TaskDetail"];
/** components.schemas.TaskDetail.properties.object.enum: every value, in the spec's order. */
export const TASK_DETAIL_OBJECT_VALUES = ["image.generation.task","video.generation.task","audio.generation.task"] as const satisfies readonly NonNullable<components["schemas"]["TaskDetail"]["object"]>[];
/** One of {@link TASK_DETAIL_OBJECT_VALUES}. */
export type TaskDetailObject = (typeof TASK_DETAIL_OBJECT_VALUES)[number];
/** components.schemas.TaskDetail.properties.progress.minimum */
export const TASK_DETAIL_PROGRESS_MINIMUM = 0;
/** components.schemas.TaskDetail.properties.progress.maximum */
export const TASK_DETAIL_PROGRESS_MAXIMUM = 100;
/** components.schemas.TaskDetail.properties.type.enum: every value, in the spec's order. */
export const TASK_DETAIL_TYPE_VALUES = ["image","video","audio","text"] as const satisfies readonly NonNullable<components["schemas"]["TaskDetail"]["type"]>[];
/** One of {@link TASK_DETAIL_TYPE_VALUES}. */
export type TaskDetailType = (typeof TASK_DETAIL_TYPE_VALUES)[number];
/** components.schemas.TaskFailure. */
export type TaskFailure = components["schemas"]["TaskFailure"];
/** components.schemas.ErrorResponse. */
export type ErrorResponse = components["schemas"]["ErrorResponse"];
/** components.schemas.ErrorDetail. */
export type ErrorDetail = components["schemas"]["ErrorDetail"];
/** components.schemas.TaskQueryErrorResponse. */
export type TaskQueryErrorResponse = components["schemas"]["TaskQueryErrorResponse"];
/** components.schemas.VideoTaskInfo. */
export type VideoTaskInfo = components["schemas"]["VideoTaskInfo"];
/** components.schemas.VideoTaskInfo.properties.estimated_time.minimum */
export const VIDEO_TASK_INFO_ESTIMATED_TIME_MINIMUM = 0;
/** components.schemas.VideoUsage. */
export type VideoUsage = components["schemas"]["VideoUsage"];
/** components.schemas.VideoUsage.properties.billing_rule.enum: every value, in the spec's order. */
export const VIDEO_USAGE_BILLING_RULE_VALUES = ["per_call","per_token","per_second"] as const satisfies readonly NonNullable<components["schemas"]["VideoUsage"]["billing_rule"]>[];
/** One of {@link VIDEO_USAGE_BILLING_RULE_VALUES}. */
export type VideoUsageBillingRule = (typeof VIDEO_USAGE_BILLING_RULE_VALUES)[number];
/** components.schemas.VideoUsage.properties.credits_reserved.minimum */
export const VIDEO_USAGE_CREDITS_RESERVED_MINIMUM = 0;
/** What a `task_id` starts with. Stated only by an example in the spec: getTaskDetail 400 example (error.param task_id): "Invalid task ID format, must start with 'task-unified-'". */
export const TASK_ID_PREFIX = "task-unified-";
/**
 * The spec's description of each documented error status, for a message when the body has none. Where
 * operations describe a status differently, the first operation in the spec is used
 * (also described: 404 "Task not found (inferred)" (getTaskDetail)); per-operation descriptions are in
 * operations.ts (`operations.X.responses[status].description`).
 */
export const ERROR_TITLES: Readonly<Record<number, string>> = {
  400: "Invalid request parameters",
  401: "Unauthenticated, invalid or expired token",
  402: "Insufficient quota, recharge required",
  403: "Access denied",
  404: "Resource not found",
  429: "Rate limit exceeded",
  500: "Internal server error",
  502: "Upstream service error",
  503: "Service temporarily unavailable",
};
/** createVideoGeneration: its route and body schemas. */
export const CREATE_VIDEO_GENERATION_ROUTE = {"method":"POST","path":"/v1/videos/generations","pathParameters":[],"requestSchema":"VideoGenerationRequest","responseSchema":"VideoGenerationResponse"} as const;
/** createVideoGeneration's callback taskFinished (videoTaskCallback); its timing from the description's prose (no schema keyword states it). */
export const CREATE_VIDEO_GENERATION_TASK_FINISHED_CALLBACK = {"method":"POST","expression":"{$request.body#/callback_url}","bodySchema":"TaskDetail","timeoutMs":10000,"retryDelaysMs":[1000,2000,4000]} as const;
/** createVideoGeneration: the `error.type` of each documented error status, from the response examples (stated nowhere else). */
export const CREATE_VIDEO_GENERATION_ERROR_TYPES: Readonly<Record<number, string>> = {
  400: "invalid_request_error",
  401: "authentication_error",
  402: "insufficient_quota_error",
  403: "permission_error",
  404: "not_found_error",
  429: "rate_limit_error",
  500: "internal_server_error",
  502: "upstream_error",
  503: "service_unavailable_error",
};
/** getTaskDetail: its route and body schemas. */
export const GET_TASK_DETAIL_ROUTE = {"method":"GET","path":"/v1/tasks/{task_id}","pathParameters":["task_id"],"requestSchema":null,"responseSchema":"TaskDetail"} as const;
/** getTaskDetail: the `error.type` of each documented error status, from the response examples (stated nowhere else). */
export const GET_TASK_DETAIL_ERROR_TYPES: Readonly<Record<number, string>> = {
  400: "invalid_request_error",
  401: "authentication_error",
  404: "not_found_error",
  429: "rate_limit_error",
  500: "internal_server_error",
  502: "upstream_error",
  503: "service_unavailable_error",
};
/** Every field of a union's members, each optional, with the union of its types. */
type MergeFields<U> = {
  [K in U extends unknown ? keyof U : never]?: U extends unknown
    ? K extends keyof U
      ? Exclude<U[K], undefined>
      : never
    : never;
};
/** The `error` object of every error body (ErrorResponse, TaskQueryErrorResponse), as one type. */
export type ErrorEnvelopeDetail = MergeFields<NonNullable<components["schemas"]["ErrorResponse"]["error"]> | NonNullable<components["schemas"]["TaskQueryErrorResponse"]["error"]>>;
