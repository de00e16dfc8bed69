/**
 * The Node-only entry, `kling-o1-video-edit/node`: helpers that need `node:` modules. The main entry never imports
 * this file statically (client.download loads download-node.ts lazily), so browsers and edge runtimes never see it.
 */

// download-node.ts
export {
  DEFAULT_DOWNLOAD_RETRIES,
  downloadToFile,
  type FileDownloadOptions,
  fileNameFromUrl,
  STALE_PART_MS,
  safeFileName,
} from "./download-node.js";
// jobs-node.ts
export { fileJobStore } from "./jobs-node.js";
// webhooks-node.ts
export { createNodeCallbackListener, sendWebResponse, toWebRequest } from "./webhooks-node.js";
