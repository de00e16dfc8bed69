// generated from spec/kling-o1-video-edit.yaml by scripts/generate.ts - do not edit
export type { ValidationIssue, Validator } from "./validators/runtime.js";
import { validateErrorResponse } from "./validators/ErrorResponse.js";
import { validateTaskDetail } from "./validators/TaskDetail.js";
import { validateTaskQueryErrorResponse } from "./validators/TaskQueryErrorResponse.js";
import { validateVideoGenerationRequest } from "./validators/VideoGenerationRequest.js";
import { validateVideoGenerationResponse } from "./validators/VideoGenerationResponse.js";
export { validateErrorResponse, validateTaskDetail, validateTaskQueryErrorResponse, validateVideoGenerationRequest, validateVideoGenerationResponse };
/** Every validator by its schema name in components.schemas. */
export const validators = {
  ErrorResponse: validateErrorResponse,
  TaskDetail: validateTaskDetail,
  TaskQueryErrorResponse: validateTaskQueryErrorResponse,
  VideoGenerationRequest: validateVideoGenerationRequest,
  VideoGenerationResponse: validateVideoGenerationResponse,
} as const;
/** A name of components.schemas that has a validator. */
export type SchemaName = keyof typeof validators;
