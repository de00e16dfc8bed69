/**
 * The stateful mock server of the Kling-O1 Video Edit API (Node). For the browser and component tests, import the
 * MSW handlers from `kling-o1-video-edit/mock/msw` instead: they share the same engine without a server.
 */
export { type CallbackState, MockApi, type MockApiOptions, type MockReply, type MockRequestInput } from "./api.js";
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
} from "./engine.js";
export {
  isScenarioName,
  SCENARIO_DESCRIPTIONS,
  SCENARIOS,
  type ScenarioName,
  scenarioFromPrefer,
} from "./scenarios.js";
export { DEFAULT_HOST, DEFAULT_PORT, type MockServer, type MockServerOptions, startMockServer } from "./server.js";
