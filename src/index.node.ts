/**
 * The main entry as Node, Bun and Deno resolve it (package.json's `node` condition): the same exports as
 * src/index.ts, with the code a browser app loads on a client's first call (src/lazy.ts: the rules, validators, wait
 * loop and download code) imported here, so that no call waits for a module to load. A first call under fake timers
 * then behaves like any other. The job runner stays lazy, as it is everywhere (a process that never uses jobs or
 * webhooks does not load them).
 */
import * as download from "./download.js";
import { loadDownload, loadSchemas, loadWait } from "./lazy.js";
import * as schemas from "./schemas.js";
import * as wait from "./wait.js";

loadSchemas.provide(schemas);
loadWait.provide(wait);
loadDownload.provide(download);

export * from "./index.js";
