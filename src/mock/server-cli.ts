#!/usr/bin/env node
/** `npm run mock`: starts the stateful mock server (see `npm run mock -- --help`). */
import { createMockCommand } from "./command.js";

try {
  await createMockCommand("npm run mock --").parseAsync(process.argv);
} catch (error) {
  const code = (error as { code?: string }).code;
  console.error(
    code === "EADDRINUSE"
      ? `The port is already in use: pass --port N (or --port 0 for a free one). ${(error as Error).message}`
      : `The mock server failed to start: ${error instanceof Error ? error.message : String(error)}`,
  );
  process.exitCode = 1;
}
