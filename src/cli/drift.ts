/**
 * `kling-edit drift spec|live`: the drift checks of this repository's `npm run drift:*`, from the package's public
 * `./drift` entry, against the spec pinned in the installed package. The arguments go to the same implementation
 * unchanged, so both print the same reports and use the same exit codes: 0 no drift that fails the run, 1 drift at or
 * above --fail-on, 2 the check could not run.
 */
import type { Command } from "commander";

/** Where the command writes. */
export interface DriftIo {
  writeOut(text: string): void;
  writeErr(text: string): void;
}

const line = (text: string) => (text.endsWith("\n") ? text : `${text}\n`);

/** Registers `drift spec` and `drift live` on the program; each action sets `result.exitCode`. */
export function addDriftCommand(program: Command, result: { exitCode?: number }, io: DriftIo): void {
  const drift = program
    .command("drift")
    .description("compare the pinned spec with the provider's published spec (spec) or with recorded exchanges (live)");
  const io2 = { stdout: (text: string) => io.writeOut(line(text)), stderr: (text: string) => io.writeErr(line(text)) };
  const commands = [
    {
      name: "spec",
      description:
        "the pinned spec against the provider's OpenAPI document(s): breaking, risky, safe (--help for options)",
      args: "<file-or-url>... [--format md|json] [--fail-on breaking|risky] [--complete] [--out DIR] ...",
    },
    {
      name: "live",
      description: "the pinned spec against recordings (kling-edit verify --record DIR) (--help for options)",
      args: "<recordings-dir> [--target live|all|NAME] [--format md|json] [--fail-on breaking|risky] ...",
    },
  ] as const;
  for (const { name, description, args } of commands) {
    drift
      .command(name)
      .description(description)
      .argument("[args...]", args)
      .helpOption(false)
      .allowUnknownOption()
      .action(async (argv: string[]) => {
        const d = await import("../drift/index.js");
        const context = { name: `kling-edit drift ${name}`, io: io2 };
        result.exitCode =
          name === "spec"
            ? await d.runSpecDrift(argv, { ...context, pinnedFile: d.pinnedSpecFile() })
            : await d.runLiveDrift(argv, { ...context, specFile: d.pinnedSpecFile() });
      });
  }
}
