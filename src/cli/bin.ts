#!/usr/bin/env node
/**
 * The `kling-edit` executable (package.json "bin"). The command line and the mock server need packages the client
 * does not (commander, cli-progress, hono, @hono/node-server): they are optionalDependencies, installed by default
 * (`npm install`, `npm install -g`, `npx`) and left out by `--omit=optional`, which makes a client-only install.
 * Without them this says so, instead of Node's stack trace.
 */
try {
  await import("./main.js");
} catch (error) {
  const missing = /Cannot find package '([^']+)'/.exec(String((error as Error | undefined)?.message))?.[1];
  if ((error as { code?: unknown } | undefined)?.code !== "ERR_MODULE_NOT_FOUND" || !missing) throw error;
  process.stderr.write(
    `kling-edit needs the package "${missing}", one of its optional dependencies, which this install left out ` +
      "(npm install --omit=optional installs the client only).\n" +
      "Install it with them: npm install kling-o1-video-edit (or run npx kling-o1-video-edit ...).\n",
  );
  process.exitCode = 1;
}
