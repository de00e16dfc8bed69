/**
 * Spec facts the client needs at run time, under the names the client uses; each comes from generated/spec-facts.ts,
 * so a spec change reaches them through `npm run generate`.
 */
import {
  TASK_ID_PREFIX as SPEC_TASK_ID_PREFIX,
  TASK_STATUS_VALUES,
  VIDEO_GENERATION_REQUEST_MODEL_DEFAULT,
} from "../generated/spec-facts.js";

/** Every task status the spec lists (`components.schemas.TaskStatus`), in its order. */
export const TASK_STATUSES = TASK_STATUS_VALUES;
/** The model sent when `params.model` is not given (the spec's default for `model`). */
export const DEFAULT_MODEL = VIDEO_GENERATION_REQUEST_MODEL_DEFAULT;
/** Task ids the API issues start with this (stated only by the spec's 400 example for `task_id`). */
export const TASK_ID_PREFIX = SPEC_TASK_ID_PREFIX;
