/**
 * Shell completion for bash, zsh and fish, generated from commander's command tree (the same one `--help` prints),
 * so a new command, option or choice completes without anyone editing a script. `kling-edit completion SHELL`
 * prints the script; how to install it is in its first lines.
 *
 * What completes: command names; each command's options and the global ones; an option's choices (commander's
 * `.choices()`); files for an option or argument whose value is named `<file>`, `<dir>` or `<manifest>`; nothing
 * for other values (a prompt, a URL, a key).
 */
import type { Argument, Command, Option } from "commander";

/** The shells `kling-edit completion` writes a script for. */
export const SHELLS = ["bash", "zsh", "fish"] as const;
/** One of {@link SHELLS}. */
export type Shell = (typeof SHELLS)[number];

/** How an option's or argument's value completes. */
type ValueKind = { kind: "none" } | { kind: "free" } | { kind: "file" } | { kind: "choices"; choices: string[] };

interface OptionSpec {
  long?: string;
  short?: string;
  description: string;
  value: ValueKind;
}

interface CommandSpec {
  name: string;
  description: string;
  options: OptionSpec[];
  /** How the command's positional arguments complete (the first argument's kind; `none` when it takes none). */
  argument: ValueKind;
}

const FILE_PLACEHOLDER = /<(file|dir|manifest|path)>/i;

function optionValue(option: Option): ValueKind {
  if (!option.required && !option.optional) return { kind: "none" };
  if (option.argChoices) return { kind: "choices", choices: option.argChoices };
  return FILE_PLACEHOLDER.test(option.flags) ? { kind: "file" } : { kind: "free" };
}

function argumentValue(argument: Argument | undefined): ValueKind {
  if (!argument) return { kind: "none" };
  if (argument.argChoices) return { kind: "choices", choices: argument.argChoices };
  return FILE_PLACEHOLDER.test(`<${argument.name()}>`) ? { kind: "file" } : { kind: "free" };
}

function options(command: Command): OptionSpec[] {
  return command.options
    .filter((o) => !o.hidden)
    .map((o) => ({
      ...(o.long ? { long: o.long } : {}),
      ...(o.short ? { short: o.short } : {}),
      description: o.description,
      value: optionValue(o),
    }));
}

/** The tree the scripts are written from: the program's global options and each visible command. */
export function commandTree(program: Command): { name: string; globals: OptionSpec[]; commands: CommandSpec[] } {
  const help: OptionSpec[] = [
    { long: "--help", short: "-h", description: "show help", value: { kind: "none" } },
    { long: "--version", short: "-V", description: "print the version", value: { kind: "none" } },
  ];
  const globals = [...options(program), ...help].filter((o, i, all) => all.findIndex((p) => p.long === o.long) === i);
  const commands = program.commands
    .filter((c) => !(c as Command & { _hidden?: boolean })._hidden)
    .map((c) => ({
      name: c.name(),
      description: c.description(),
      options: options(c).filter((o) => !globals.some((g) => g.long === o.long)),
      argument: argumentValue(c.registeredArguments[0]),
    }));
  return { name: program.name(), globals, commands };
}

const flagsOf = (options: OptionSpec[]) =>
  options.flatMap((o) => [o.long, o.short]).filter((f): f is string => f !== undefined);

/** A word list for a shell's single-quoted string (the words themselves never hold quotes). */
const words = (list: string[]) => list.join(" ");

function bash(tree: ReturnType<typeof commandTree>): string {
  const fn = `_${tree.name.replace(/\W/g, "_")}`;
  const all = [{ name: "", options: tree.globals, argument: { kind: "none" } as ValueKind }, ...tree.commands];
  const valueCases = new Map<string, string>();
  for (const o of all.flatMap((c) => c.options)) {
    const flags = [o.long, o.short].filter(Boolean).join("|");
    if (o.value.kind === "file") valueCases.set(flags, `COMPREPLY=($(compgen -f -- "$cur")); return ;;`);
    if (o.value.kind === "free") valueCases.set(flags, "return ;;");
    if (o.value.kind === "choices") {
      valueCases.set(flags, `COMPREPLY=($(compgen -W '${words(o.value.choices)}' -- "$cur")); return ;;`);
    }
  }
  const commandCases = tree.commands.map((c) => {
    const flags = words(flagsOf([...c.options, ...tree.globals]));
    const positional =
      c.argument.kind === "file"
        ? `COMPREPLY=($(compgen -f -- "$cur"))`
        : c.argument.kind === "choices"
          ? `COMPREPLY=($(compgen -W '${words(c.argument.choices)}' -- "$cur"))`
          : "COMPREPLY=()";
    return `    ${c.name})
      if [[ "$cur" == -* ]]; then COMPREPLY=($(compgen -W '${flags}' -- "$cur")); else ${positional}; fi ;;`;
  });
  return `# bash completion for ${tree.name} (generated from its command tree by \`${tree.name} completion bash\`).
# Load it now:      source <(${tree.name} completion bash)
# Or for good:      ${tree.name} completion bash > ~/.local/share/bash-completion/completions/${tree.name}
${fn}() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}" command="" i
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "\${COMP_WORDS[i]}" in
      ${tree.commands.map((c) => c.name).join("|")}) command="\${COMP_WORDS[i]}"; break ;;
    esac
  done
  case "$prev" in
${[...valueCases].map(([flags, action]) => `    ${flags}) ${action}`).join("\n")}
  esac
  case "$command" in
    "")
      if [[ "$cur" == -* ]]; then COMPREPLY=($(compgen -W '${words(flagsOf(tree.globals))}' -- "$cur")); else COMPREPLY=($(compgen -W '${words(tree.commands.map((c) => c.name))}' -- "$cur")); fi ;;
${commandCases.join("\n")}
  esac
}
complete -o filenames -F ${fn} ${tree.name}
`;
}

/** Escapes text for a zsh `_arguments` spec inside single quotes. */
function zshText(text: string): string {
  return text
    .replace(/\\/g, "\\\\")
    .replace(/([[\]:])/g, "\\$1")
    .replace(/'/g, "'\\''");
}

function zshOption(o: OptionSpec): string[] {
  const action =
    o.value.kind === "none"
      ? ""
      : o.value.kind === "file"
        ? ":file:_files"
        : o.value.kind === "choices"
          ? `:value:(${o.value.choices.join(" ")})`
          : ":value: ";
  const description = zshText(o.description);
  const flags = [o.long, o.short].filter((f): f is string => f !== undefined);
  // Both spellings of one option exclude each other.
  const exclusive = flags.length > 1 ? `(${flags.join(" ")})` : "";
  return flags.map((f) => `'${exclusive}${f}[${description}]${action}'`);
}

function zsh(tree: ReturnType<typeof commandTree>): string {
  const fn = `_${tree.name.replace(/\W/g, "_")}`;
  const globals = tree.globals.flatMap(zshOption).join(" ");
  const commandCases = tree.commands.map((c) => {
    const positional =
      c.argument.kind === "file"
        ? ` '*:file:_files'`
        : c.argument.kind === "choices"
          ? ` '1:value:(${c.argument.choices.join(" ")})'`
          : "";
    return `        ${c.name}) _arguments $globals ${c.options.flatMap(zshOption).join(" ")}${positional} ;;`;
  });
  return `#compdef ${tree.name}
# zsh completion for ${tree.name} (generated from its command tree by \`${tree.name} completion zsh\`).
# Load it now:      source <(${tree.name} completion zsh)     (after compinit)
# Or for good:      ${tree.name} completion zsh > "\${fpath[1]}/_${tree.name}"
${fn}() {
  local -a globals commands
  globals=(${globals})
  commands=(${tree.commands.map((c) => `'${c.name.replace(/:/g, "\\:")}:${c.description.replace(/'/g, "'\\''")}'`).join(" ")})
  local curcontext="$curcontext" state line
  _arguments -C $globals '1:command:->command' '*::argument:->argument'
  case $state in
    command) _describe command commands ;;
    argument)
      case $line[1] in
${commandCases.join("\n")}
      esac ;;
  esac
}
if [[ "\${funcstack[1]}" == "${fn}" ]]; then ${fn} "$@"; else compdef ${fn} ${tree.name}; fi
`;
}

/** Quotes text for fish, in single quotes. */
function fishText(text: string): string {
  return `'${text.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

function fishOption(name: string, condition: string | null, o: OptionSpec): string {
  const parts = [`complete -c ${name}`];
  if (condition) parts.push(`-n ${fishText(condition)}`);
  if (o.short) parts.push(`-s ${o.short.replace(/^-/, "")}`);
  if (o.long) parts.push(`-l ${o.long.replace(/^--/, "")}`);
  if (o.value.kind === "file") parts.push("-r -F");
  if (o.value.kind === "free") parts.push("-x");
  if (o.value.kind === "choices") parts.push(`-x -a ${fishText(words(o.value.choices))}`);
  parts.push(`-d ${fishText(o.description)}`);
  return parts.join(" ");
}

function fish(tree: ReturnType<typeof commandTree>): string {
  const names = tree.commands.map((c) => c.name).join(" ");
  const lines = [
    `# fish completion for ${tree.name} (generated from its command tree by \`${tree.name} completion fish\`).`,
    `# Load it now:      ${tree.name} completion fish | source`,
    `# Or for good:      ${tree.name} completion fish > ~/.config/fish/completions/${tree.name}.fish`,
    `complete -c ${tree.name} -f`,
    ...tree.commands.map(
      (c) =>
        `complete -c ${tree.name} -n ${fishText(`not __fish_seen_subcommand_from ${names}`)} -a ${c.name} -d ${fishText(c.description)}`,
    ),
    ...tree.globals.map((o) => fishOption(tree.name, null, o)),
  ];
  for (const c of tree.commands) {
    const when = `__fish_seen_subcommand_from ${c.name}`;
    lines.push(...c.options.map((o) => fishOption(tree.name, when, o)));
    if (c.argument.kind === "file") lines.push(`complete -c ${tree.name} -n ${fishText(when)} -F`);
    if (c.argument.kind === "choices") {
      lines.push(`complete -c ${tree.name} -n ${fishText(when)} -x -a ${fishText(words(c.argument.choices))}`);
    }
  }
  return `${lines.join("\n")}\n`;
}

/** The completion script of `program` for `shell`. */
export function completionScript(program: Command, shell: Shell): string {
  const tree = commandTree(program);
  if (shell === "bash") return bash(tree);
  if (shell === "zsh") return zsh(tree);
  return fish(tree);
}
