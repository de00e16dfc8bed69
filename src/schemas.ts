/**
 * What requests and responses are checked against, loaded on a client's first call (src/lazy.ts; its own chunk in a
 * browser app): the create rules (the spec's request validator and the callback guard's address table) and the
 * spec's response validators.
 */
import { RequestValidationError } from "./errors.js";
import { checkCreateRequest } from "./rules.js";
import { DEFAULT_MODEL } from "./spec-facts.js";
import type { CreateEditParams, VideoGenerationRequest } from "./types.js";

export { validateTaskDetail } from "../generated/validators/TaskDetail.js";
export { validateVideoGenerationResponse } from "../generated/validators/VideoGenerationResponse.js";

/** The create body as sent: `model` defaulted, every rule checked (throws `RequestValidationError`, nothing sent). */
export function createBody(params: CreateEditParams): VideoGenerationRequest {
  // checkCreateRequest runs the spec's validator over this body, so it is a VideoGenerationRequest past this
  // point; the only type difference is readonly arrays, which JSON.stringify does not care about.
  const body = { ...params, model: params.model ?? DEFAULT_MODEL } as VideoGenerationRequest;
  const violations = checkCreateRequest(body);
  if (violations.length > 0) throw new RequestValidationError(violations);
  return body;
}
