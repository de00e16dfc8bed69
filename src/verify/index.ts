/**
 * `kling-o1-video-edit/verify` (Node): the named contract checks that `kling-edit verify` runs against any server,
 * as a library. The checks are pure functions over exchanges (one request and its response) and over what a
 * callback receiver recorded; the probes send the requests; `runVerify` runs them all and `renderReport` writes the
 * Markdown, JSON or JUnit report. The main entry never imports this one.
 */

// bad-requests.ts
export {
  BAD_REQUESTS,
  type BadRequestCase,
  brokenParam,
  brokenRules,
  exampleCreateBody,
  FREE_BAD_REQUESTS,
  PAID_BAD_REQUESTS,
  type RawRequest,
  whyBodyCannotCreate,
  whyRequestCannotCreate,
} from "./bad-requests.js";
// callbacks.ts
export {
  type CallbackDelivery,
  type CallbackTiming,
  callbackTiming,
  checkCallbackDelivery,
  checkCallbackSeries,
  DEFAULT_CALLBACK_SLACK_MS,
  findCallback,
  quietPeriodMs,
  type ReceivedDelivery,
  type ReceiverMode,
  slowHoldMs,
} from "./callbacks.js";
// catalog.ts
export {
  CHECK_NAMES,
  CHECKS,
  type CheckInfo,
  type CheckName,
  type CheckNeeds,
  isCheckName,
  listChecks,
} from "./catalog.js";
// checks.ts
export {
  type CheckOptions,
  checkExchange,
  documentedResponse,
  evaluatedBy,
  expectStatus,
  jsonBody,
  schemaViolations,
  validateAgainst,
  valueAt,
} from "./checks.js";
// http.ts
export {
  type Auth,
  fetchHead,
  parseBody,
  plainHeaders,
  type SendOptions,
  send,
  type Target,
  TransportError,
} from "./http.js";
// lifecycle.ts
export {
  checkLifecycle,
  checkResultDownload,
  isTerminal,
  looksLikeVideo,
  type ResultDownload,
  TERMINAL_STATUSES,
  taskOf,
} from "./lifecycle.js";
// prism-inventions.ts
export {
  mediaType,
  PRISM_INVENTION_MEANING,
  type PrismInvention,
  type PrismViolation,
  prismViolations,
  recognisePrism,
} from "./prism-inventions.js";
// probes.ts
export {
  type BadRequestOptions,
  CALLBACK,
  type CallbackOptions,
  deliveryTaskId,
  exampleTaskId,
  INVALID_TOKEN,
  type LifecycleOptions,
  MALFORMED_TASK_ID,
  Probe,
  type ProbeResult,
  probeAuth,
  probeBadRequest,
  probeLifecycle,
  probeMalformedTaskId,
  probePreferredStatus,
  probeStatusVia,
  probeUnknownTask,
  queryOnDelivery,
  realSleep,
  type Sleep,
  UNKNOWN_TASK_ID,
} from "./probes.js";
// receiver.ts
export { type CallbackReceiver, type ReceiverOptions, startCallbackReceiver } from "./receiver.js";
// recordings.ts
export {
  REDACTED,
  type Recording,
  readRecordings,
  recordingProblems,
  toRecording,
  writeRecording,
} from "./recordings.js";
// report.ts
export {
  formatExchange,
  REPORT_FORMATS,
  type ReportFormat,
  renderJunit,
  renderMarkdown,
  renderReport,
  reportJson,
} from "./report.js";
// run.ts
export {
  type CheckOutcome,
  type CheckResult,
  costStatement,
  maxTasks,
  runVerify,
  type VerifyCallbackOptions,
  type VerifyOptions,
  type VerifyResult,
} from "./run.js";
// types.ts
export {
  attach,
  type BodyDef,
  type CallbackDef,
  documentedStatuses,
  type Exchange,
  type ExchangeRequest,
  type ExchangeResponse,
  formatViolation,
  type Headers,
  matchOperation,
  type OperationDef,
  operationTable,
  pathFor,
  type ResponseDef,
  requestIdOf,
  type Violation,
} from "./types.js";
