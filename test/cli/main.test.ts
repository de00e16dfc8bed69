/**
 * src/cli/main.ts, the executable: importing it runs process.argv through run.ts and exits with the code once stdout
 * and stderr have flushed (an idle keep-alive socket must not hold the process open). Imported here with argv
 * `--version`, process.exit stubbed and the output captured.
 */
import { afterAll, describe, expect, it, vi } from "vitest";
import { packageVersion } from "../../src/cli/program.js";

afterAll(() => {
  vi.restoreAllMocks();
});

describe("running as the executable", () => {
  it("runs process.argv on import and exits with its code once stdout and stderr have flushed", async () => {
    let printed = "";
    const order: string[] = [];
    vi.spyOn(process.stdout, "write").mockImplementation(((chunk: unknown, ...rest: unknown[]) => {
      printed += String(chunk);
      order.push(chunk === "" ? "flush stdout" : "print");
      (rest.find((r) => typeof r === "function") as (() => void) | undefined)?.();
      return true;
    }) as typeof process.stdout.write);
    vi.spyOn(process.stderr, "write").mockImplementation(((chunk: unknown, ...rest: unknown[]) => {
      order.push(chunk === "" ? "flush stderr" : "print to stderr");
      (rest.find((r) => typeof r === "function") as (() => void) | undefined)?.();
      return true;
    }) as typeof process.stdout.write);
    const exit = vi.spyOn(process, "exit").mockImplementation(((code: number) => {
      order.push(`exit ${code}`);
    }) as never);
    const argv = process.argv;
    process.argv = [process.execPath, "kling-edit", "--version"];
    try {
      await import("../../src/cli/main.js");
    } finally {
      process.argv = argv;
    }
    expect(printed.trim()).toBe(packageVersion());
    expect(exit).toHaveBeenCalledTimes(1);
    expect(order).toEqual(["print", "flush stdout", "flush stderr", "exit 0"]);
  });
});
