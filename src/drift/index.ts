/**
 * `kling-o1-video-edit/drift` (Node): the drift checks behind `kling-edit drift spec|live` and `npm run drift:*`.
 * `drift spec` compares the pinned spec with the provider's published document(s), classified from a client's point of
 * view (breaking, risky, safe); `drift live` compares it with what a server returned (recordings). The main entry
 * never imports this one.
 */

// findings.ts
export {
  type Acceptance,
  applyAcceptances,
  DriftInputError,
  EXIT_ERROR,
  exitCodeFor,
  type FailOn,
  type Finding,
  type Io,
  LEVELS,
  type Level,
  loadAcceptances,
  processIo,
} from "./findings.js";
// live.ts
export { type AnalyzeOptions, analyzeRecordings, DEFAULT_TARGET, type LiveDriftReport } from "./live.js";
// live-command.ts
export { type LiveDriftContext, liveDriftUsage, renderLiveMarkdown, runLiveDrift } from "./live-command.js";
// load.ts
export { type LoadedSpec, type LoadOptions, loadSpec, parseSpec } from "./load.js";
// paths.ts
export { PINNED_SPEC, pinnedSpecFile } from "./paths.js";
// rules.ts
export { LIVE_RULES, type LiveRule, SPEC_RULES, type SpecRule } from "./rules.js";
// spec-command.ts
export { renderSpecMarkdown, runSpecDrift, type SpecDriftContext, specDriftUsage } from "./spec-command.js";
// spec-diff.ts
export { type CompareOptions, compareSpecs, type SpecDriftReport } from "./spec-diff.js";
