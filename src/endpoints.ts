/**
 * The API's two operations as the resources use them: each describes its request to the one request loop
 * (src/request.ts); following a task goes through the one wait loop (src/wait.ts). `edits`, `tasks` and `jobs` call
 * these; nothing else builds a request.
 */
import { CREATE_VIDEO_GENERATION_ROUTE, GET_TASK_DETAIL_ROUTE } from "../generated/spec-facts.js";
import { RequestValidationError, requestIdsOf } from "./errors.js";
import { loadSchemas, loadWait } from "./lazy.js";
import type { Transport } from "./request.js";
import type { RuleViolation } from "./rules.js";
import type * as Schemas from "./schemas.js";
import { TASK_ID_PREFIX } from "./spec-facts.js";
import type { CreatedTask, CreateEditParams, RequestOptions, Task, WaitOptions, WithResponse } from "./types.js";
import type { WaitHooks } from "./wait.js";

const CREATE = CREATE_VIDEO_GENERATION_ROUTE;
const GET = GET_TASK_DETAIL_ROUTE;
const [TASK_ID_PARAM] = GET.pathParameters;
/** The task path around its one parameter, split once: filling it per call is then two concatenations. */
const [TASK_PATH_HEAD = "", TASK_PATH_TAIL = ""] = GET.path.split(`{${TASK_ID_PARAM}}`);

/**
 * The route table's `GET /v1/tasks/{task_id}` for one id, percent-encoded as openapi-fetch encodes a path parameter
 * (`encodeURIComponent` leaves no `/`, `?` or `#` to change the URL's shape).
 */
export function taskPath(taskId: string): string {
  return TASK_PATH_HEAD + encodeURIComponent(taskId) + TASK_PATH_TAIL;
}

/** `POST /v1/videos/generations`: a billed task. */
export async function createEdit(
  transport: Transport,
  params: CreateEditParams,
  opts: RequestOptions,
): Promise<WithResponse<CreatedTask>> {
  // The rules and validators load on the first call (src/lazy.ts); a failed load rejects with nothing sent.
  const { createBody, validateVideoGenerationResponse } = loadSchemas.value ?? (await loadSchemas());
  const body = createBody(params);
  return transport.request<CreatedTask>(
    {
      method: CREATE.method,
      path: CREATE.path,
      body,
      schema: CREATE.responseSchema,
      validate: validateVideoGenerationResponse,
      idempotent: false,
    },
    opts,
  );
}

/** Throws `RequestValidationError` for an id that cannot be one; warns for one without the API's prefix. */
export function checkTaskId(transport: Transport, taskId: unknown): asserts taskId is string {
  if (typeof taskId !== "string" || taskId.trim() === "") {
    const violation: RuleViolation = {
      field: TASK_ID_PARAM,
      param: TASK_ID_PARAM,
      rule: "required",
      message: `${TASK_ID_PARAM} must be a non-empty string (got ${typeof taskId === "string" ? JSON.stringify(taskId) : typeof taskId})`,
    };
    throw new RequestValidationError([violation]);
  }
  // The API's 400 example says ids "must start with 'task-unified-'", but that is an example message, not a
  // schema rule: send the id anyway (the API's own 400 is clear) and say why it may fail.
  if (!taskId.startsWith(TASK_ID_PREFIX)) {
    transport.log.warn(
      `task id ${JSON.stringify(taskId)} does not start with "${TASK_ID_PREFIX}"; the API may reject it`,
    );
  }
}

/**
 * `GET /v1/tasks/{task_id}`. Not an `async` function: the loop's promise is returned as it is, without the extra
 * promise and ticks an async wrapper adds to every poll; a bad id still rejects rather than throws.
 */
export function getTask(transport: Transport, taskId: string, opts: RequestOptions): Promise<WithResponse<Task>> {
  try {
    checkTaskId(transport, taskId);
  } catch (err) {
    return Promise.reject(err);
  }
  // The validators load on a client's first call (src/lazy.ts); after that, no extra promise per call.
  const schemas = loadSchemas.value;
  if (schemas === undefined) return loadSchemas().then((loaded) => sendGet(transport, loaded, taskId, opts));
  return sendGet(transport, schemas, taskId, opts);
}

/** The GET itself, for an id already checked. */
function sendGet(
  transport: Transport,
  schemas: typeof Schemas,
  taskId: string,
  opts: RequestOptions,
): Promise<WithResponse<Task>> {
  return transport.request<Task>(
    {
      method: GET.method,
      path: taskPath(taskId),
      schema: GET.responseSchema,
      validate: schemas.validateTaskDetail,
      idempotent: true,
      // A body about another task is not an answer about this one (issue 11, item 18).
      check: (task) => (task.id === taskId ? null : `asked for task ${taskId}, got task ${task.id}`),
    },
    opts,
  );
}

/** Follows a task to its end through the one wait loop; `onRequestId` sees every poll's request id, failed ones too. */
export async function followTask(
  transport: Transport,
  taskId: string,
  opts: WaitOptions,
  hooks: WaitHooks = {},
  onRequestId?: (requestId: string) => void,
): Promise<Task> {
  checkTaskId(transport, taskId);
  const { waitForTask } = loadWait.value ?? (await loadWait());
  return waitForTask(
    {
      get: async (id, o) => {
        let answer: WithResponse<Task>;
        try {
          answer = await getTask(transport, id, o);
        } catch (err) {
          // A failed poll's request ids matter most to support: report them too, whether or not the wait goes on.
          for (const requestId of requestIdsOf(err)) onRequestId?.(requestId);
          throw err;
        }
        for (const requestId of answer.requestIds) onRequestId?.(requestId);
        return answer.data;
      },
      callTimeoutMs: transport.timeoutMs,
      log: transport.log,
    },
    taskId,
    opts,
    hooks,
  );
}
