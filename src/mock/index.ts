/**
 * The stateful mock server of the Kling-O1 Video Edit API (Node): tasks that move on a clock the developer controls,
 * scenarios for every documented answer, callbacks, replayed recordings, and a control page at `/__mock/`. For the
 * browser and component tests, import the MSW handlers from `kling-o1-video-edit/mock/msw` instead: they share the
 * same engine and controls without a server.
 */
export {
  type CallbackState,
  type LoggedRequest,
  MockApi,
  type MockApiOptions,
  type MockControls,
  type MockReply,
  type MockRequestInput,
  type TaskView,
} from "./api.js";
export type { MockAppOptions } from "./app.js";
export {
  type AddressCheckOptions,
  addressCheckingFetch,
  CallbackAddressError,
  type ResolveAll,
} from "./callback-fetch.js";
export {
  CALLBACK_RETRY_DELAYS_MS,
  CALLBACK_TIMEOUT_MS,
  type CallbackAttempt,
  type CallbackResult,
  type DeliverOptions,
  deliverCallback,
  realSleep,
  type Sleep,
} from "./callbacks.js";
export { type ClockState, MockClock, parseDurationMs } from "./clock.js";
export { createMockCommand, type MockCommandIo } from "./command.js";
export {
  type Clock,
  createRng,
  DEFAULT_RESULT_TTL_MS,
  DEFAULT_SPEED,
  type EngineOptions,
  MockEngine,
  type MockTask,
  RESULT_PATH_PREFIX,
  type ResultState,
  SLOW_FACTOR,
  systemClock,
  type TaskPhase,
  TransitionError,
} from "./engine.js";
export { type Recording, Replayer } from "./replay.js";
export { type LoadedRecordings, loadRecordings } from "./replay-files.js";
export { MAX_BODY_BYTES } from "./reply.js";
export {
  isScenarioName,
  SCENARIO_DESCRIPTIONS,
  SCENARIOS,
  type ScenarioName,
  scenarioFromPrefer,
} from "./scenarios.js";
export { DEFAULT_HOST, DEFAULT_PORT, type MockServer, type MockServerOptions, startMockServer } from "./server.js";
