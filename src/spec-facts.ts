/**
 * Spec facts the client needs at run time, re-exported from generated/ (replaced by the codegen output at merge).
 */
import type { TaskStatus } from "./types.js";

/** Every task status the spec lists. */
export const TASK_STATUSES: readonly TaskStatus[] = ["pending", "processing", "completed", "failed"];
/** The model sent when `params.model` is not given (the spec's default). */
export const DEFAULT_MODEL = "kling-o1-video-edit";
/** Task ids the API issues start with this (its 400 example says so). */
export const TASK_ID_PREFIX = "task-unified-";
