/**
 * What bundlers load instead of download-node.ts when they build for a browser (package.json's `browser` field maps
 * one file to the other): the same exports, which say what to use there, so a default browser build of the main
 * entry meets no `node:` import. Node, Bun and Deno ignore the field and load the real module.
 */
import type * as NodeDownload from "./download-node.js";
import { KlingError } from "./errors.js";

const MESSAGE =
  "Saving a result to a file needs Node.js, Bun or Deno (this is a browser build): use client.downloadBlob() or client.downloadStream() instead";

/** Not available in a browser: throws a {@link KlingError} naming `downloadBlob`/`downloadStream`. */
export const downloadToFile: typeof NodeDownload.downloadToFile = async () => {
  throw new KlingError(MESSAGE);
};

/** Not available in a browser: throws a {@link KlingError} naming `downloadBlob`/`downloadStream`. */
export const fileNameFromUrl: typeof NodeDownload.fileNameFromUrl = () => {
  throw new KlingError(MESSAGE);
};
