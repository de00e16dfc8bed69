#!/usr/bin/env node
/**
 * `kling-edit`: the command line of the Kling-O1 Video Edit toolkit, as an executable (bin.ts imports it; the queue's
 * worker command and the demo run `node dist/src/cli/main.js` directly). It runs process.argv through run.ts and
 * exits with the code.
 */
import { main } from "./run.js";

const code = await main(process.argv);
// Exit explicitly once the streams have flushed: an idle keep-alive socket must not hold the process open.
process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
