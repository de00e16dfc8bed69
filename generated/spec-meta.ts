// generated from spec/kling-o1-video-edit.yaml by scripts/generate.ts - do not edit
/** sha256 of the spec file these files were generated from. */
export const SPEC_SHA256 = "4400579e5c2d47e02ab7c5651d5a52e611659f5157063f3fce70ab7ab463b70b";
/** The spec's `info.version`. */
export const SPEC_VERSION = "1.0.0";
/** The spec's first server: the default base URL. */
export const SPEC_SERVER_URL = "https://ai.odkkk.com/apiv1";
