// generated from spec/kling-o1-video-edit.yaml by scripts/generate.ts - do not edit
/** sha256 of the spec file these files were generated from. */
export const SPEC_SHA256 = "f5bf25cedad176e85e7ee28bb6dd45b819ae79e45a26febef7670f7acfd84a64";
/** The spec's `info.version`. */
export const SPEC_VERSION = "1.0.0";
/** The spec's first server: the default base URL. */
export const SPEC_SERVER_URL = "https://ai.odkkk.com/apiv1";
