/**
 * `kling-edit`'s run: parses (program.ts), runs a command (commands.ts), prints through one Output (output.ts), and
 * resolves with a documented exit code (exit-codes.ts). main.ts runs it as the executable; tests call `main` with
 * their own argv and streams.
 */
import { CommanderError } from "commander";
import { EXIT } from "./exit-codes.js";
import { Output, type OutStream, scrub } from "./output.js";
import { buildProgram, type ProgramResult } from "./program.js";
import { reportError } from "./report.js";

/** The API key wherever it may have been given, so that no output can contain it. */
function secretsOf(argv: readonly string[]): string[] {
  const secrets: string[] = [];
  if (process.env.KLING_API_KEY) secrets.push(process.env.KLING_API_KEY);
  argv.forEach((arg, i) => {
    if (arg === "--api-key" && argv[i + 1]) secrets.push(argv[i + 1] as string);
    if (arg.startsWith("--api-key=")) secrets.push(arg.slice("--api-key=".length));
  });
  return secrets;
}

/** Where the CLI prints: the process's streams, or a test's (which runs commands in-process). */
export interface MainStreams {
  stdout: OutStream;
  stderr: OutStream;
}

/** Runs the CLI on `argv` (as process.argv) and resolves with the exit code. */
export async function main(
  argv: readonly string[],
  io: MainStreams = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  const secrets = secretsOf(argv);
  let output: Output | undefined;
  const result: ProgramResult = {};
  const program = buildProgram(
    (globals) => {
      output = new Output({ json: globals.json === true, quiet: globals.quiet === true, secrets, ...io });
      return output;
    },
    result,
    {
      writeOut: (text) => io.stdout.write(scrub(text, secrets)),
      writeErr: (text) => io.stderr.write(scrub(text, secrets)),
    },
  );
  try {
    await program.parseAsync([...argv]);
    return result.exitCode ?? EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and --version exit 0; everything else commander rejects is bad usage (it has printed why).
      if (error.exitCode === 0) return EXIT.ok;
      if (argv.includes("--json")) {
        io.stdout.write(
          `${JSON.stringify({ event: "error", error: { exitCode: EXIT.usage, message: scrub(error.message, secrets) }, exitCode: EXIT.usage })}\n`,
        );
      }
      return EXIT.usage;
    }
    return reportError(error, output ?? new Output({ json: argv.includes("--json"), secrets, ...io }));
  }
}
