/**
 * `npm run typecheck:build`: `npm run typecheck` and `npm run build` in one TypeScript program (what `npm test` runs).
 *
 * The two scripts parse and type-check src/ and generated/ twice (tsconfig.json checks everything, tsconfig.build.json
 * checks src/ and generated/ again to emit them): about a third of `npm test`'s tsc CPU went to the second pass. Here
 * one program holds tsconfig.json's files with tsconfig.build.json's compiler options; it reports every diagnostic
 * `tsc -p tsconfig.json` reports, then emits (JavaScript and declarations, with their diagnostics) only the files
 * `tsc -p tsconfig.build.json` emits, into a fresh dist/. Like tsc, it emits even when a file has a type error and then
 * exits 1.
 *
 * Usage: tsx scripts/typecheck-build.ts
 */
import { rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** A tsconfig file (relative to the repository), parsed as `tsc -p` parses it; throws on a config error. */
export function readConfig(file: string): ts.ParsedCommandLine {
  const config = ts.getParsedCommandLineOfConfigFile(path.resolve(ROOT, file), undefined, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\n"));
    },
  });
  if (!config) throw new Error(`cannot read ${file}`);
  if (config.errors.length > 0) throw new Error(ts.formatDiagnostics(config.errors, formatHost));
  return config;
}

const formatHost: ts.FormatDiagnosticsHost = {
  getCanonicalFileName: (f) => f,
  getCurrentDirectory: () => ROOT,
  getNewLine: () => "\n",
};

/**
 * Type-checks `checkConfig`'s files and emits `buildConfig`'s, sharing one program. Returns every diagnostic, sorted
 * and deduplicated as tsc prints them, and the files written.
 */
export function typecheckAndBuild(
  checkConfig: ts.ParsedCommandLine,
  buildConfig: ts.ParsedCommandLine,
): { diagnostics: ts.Diagnostic[]; emitted: string[] } {
  const program = ts.createProgram({ rootNames: checkConfig.fileNames, options: buildConfig.options });
  // The build's root files and everything they import: what `tsc -p tsconfig.build.json` would emit.
  const toEmit = new Set<string>();
  const visit = (fileName: string) => {
    const sf = program.getSourceFile(fileName);
    if (!sf || toEmit.has(sf.fileName) || sf.isDeclarationFile || program.isSourceFileFromExternalLibrary(sf)) return;
    toEmit.add(sf.fileName);
    for (const imported of ts.preProcessFile(sf.text, true, true).importedFiles) {
      const { resolvedModule } = ts.resolveModuleName(imported.fileName, sf.fileName, buildConfig.options, ts.sys);
      if (resolvedModule && !resolvedModule.isExternalLibraryImport) visit(resolvedModule.resolvedFileName);
    }
  };
  for (const file of buildConfig.fileNames) visit(path.resolve(file));
  const missing = [...toEmit].filter((f) => !program.getSourceFile(f));
  if (missing.length > 0) throw new Error(`tsconfig.json does not cover the build's ${missing.join(", ")}`);

  const diagnostics: ts.Diagnostic[] = [
    ...program.getConfigFileParsingDiagnostics(),
    ...program.getOptionsDiagnostics(),
    ...program.getGlobalDiagnostics(),
    ...program.getSyntacticDiagnostics(),
    ...program.getSemanticDiagnostics(),
  ];
  const emitted: string[] = [];
  const written = new Set<string>();
  for (const fileName of toEmit) {
    const result = program.emit(program.getSourceFile(fileName), (out, text, bom) => {
      if (written.has(out)) return;
      written.add(out);
      ts.sys.writeFile(out, text, bom);
      emitted.push(out);
    });
    diagnostics.push(...result.diagnostics);
  }
  return { diagnostics: [...ts.sortAndDeduplicateDiagnostics(diagnostics)], emitted };
}

function main(): void {
  const checkConfig = readConfig("tsconfig.json");
  const buildConfig = readConfig("tsconfig.build.json");
  const outDir = buildConfig.options.outDir;
  if (!outDir) throw new Error("tsconfig.build.json has no outDir");
  // As `npm run build` does: no file of an earlier build survives.
  rmSync(outDir, { recursive: true, force: true });
  const { diagnostics, emitted } = typecheckAndBuild(checkConfig, buildConfig);
  const color = process.stdout.isTTY || (process.env.FORCE_COLOR !== undefined && process.env.FORCE_COLOR !== "0");
  if (diagnostics.length > 0) {
    process.stdout.write(
      color
        ? ts.formatDiagnosticsWithColorAndContext(diagnostics, formatHost)
        : ts.formatDiagnostics(diagnostics, formatHost),
    );
    const errors = diagnostics.filter((d) => d.category === ts.DiagnosticCategory.Error).length;
    process.stdout.write(`\nFound ${errors} error(s).\n`);
    if (errors > 0) process.exitCode = 1;
  }
  process.stdout.write(
    `Type-checked ${checkConfig.fileNames.length} files; wrote ${emitted.length} into ${path.relative(ROOT, outDir)}/.\n`,
  );
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    main();
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  }
}
