import type { Command, Option } from 'commander';

/** Shells `tugboat completion` writes a script for. */
export const COMPLETION_SHELLS = ['bash', 'zsh', 'fish'] as const;

/** One of {@link COMPLETION_SHELLS}. */
export type CompletionShell = (typeof COMPLETION_SHELLS)[number];

/** A command's place in the tree: its words after `tugboat` ('' for the root), subcommands, options. */
interface CommandNode {
  readonly path: string;
  readonly command: Command;
  readonly subcommands: readonly Command[];
  readonly options: readonly Option[];
}

function visibleCommands(command: Command): Command[] {
  return command.commands.filter((c) => !(c as unknown as { _hidden?: boolean })._hidden);
}

function optionsOf(command: Command): Option[] {
  return command.options.filter((o) => !o.hidden);
}

/** Every command of the tree, depth first, with the help options commander adds implicitly. */
function walk(command: Command, path = ''): CommandNode[] {
  const subcommands = visibleCommands(command);
  const node = { path, command, subcommands, options: optionsOf(command) };
  return [node, ...subcommands.flatMap((c) => walk(c, path ? `${path} ${c.name()}` : c.name()))];
}

function flagsOf(option: Option): string[] {
  return [option.short, option.long].filter((f): f is string => Boolean(f));
}

/** Single-quoted for sh-like shells: the words here are tugboat's own names and descriptions. */
function shQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/**
 * bash: a table of subcommands, options and option choices per command path, and a function that
 * finds the path in the words typed so far. Words that are no command (files, names) fall back to
 * bash's file completion (`-o default`), so `-f <TAB>` completes file names.
 */
function renderBash(root: Command): string {
  const nodes = walk(root);
  // A first argument with fixed choices (`completion bash|zsh|fish`) completes like subcommands.
  const words = (n: CommandNode) => [
    ...n.subcommands.map((c) => c.name()),
    ...(n.command.registeredArguments[0]?.argChoices ?? []),
  ];
  const subs = nodes.map((n) => `    ${shQuote(n.path)}) echo ${shQuote(words(n).join(' '))} ;;`);
  const opts = nodes.map(
    (n) => `    ${shQuote(n.path)}) echo ${shQuote([...n.options.flatMap(flagsOf), '--help'].join(' '))} ;;`,
  );
  const choices = nodes.flatMap((n) =>
    n.options
      .filter((o) => o.argChoices?.length)
      .map((o) => `    ${shQuote(`${n.path}|${o.long}`)}) echo ${shQuote(o.argChoices?.join(' ') ?? '')} ;;`),
  );
  const globalChoices = optionsOf(root).filter((o) => o.argChoices?.length);
  return `# tugboat completion for bash. Load it with: source <(tugboat completion bash)
# or install it: tugboat completion bash > /etc/bash_completion.d/tugboat
_tugboat_subcommands() {
  case "$1" in
${subs.join('\n')}
  esac
}
_tugboat_options() {
  case "$1" in
${opts.join('\n')}
  esac
}
_tugboat_choices() {
  case "$1" in
${choices.join('\n')}
  esac
}
_tugboat() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}" path="" word i next choices
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    case "$word" in -*) continue ;; esac
    next="\${path:+$path }$word"
    case " $(_tugboat_subcommands "$path") " in *" $word "*) path="$next" ;; esac
  done
  case "$prev" in
    --*) choices="$(_tugboat_choices "$path|$prev")"
      [[ -z $choices ]] && choices="$(_tugboat_choices "|$prev")" ;;
${globalChoices
  .filter((o) => o.short)
  .map((o) => `    ${o.short}) choices="$(_tugboat_choices ${shQuote(`|${o.long}`)})" ;;`)
  .join('\n')}
  esac
  if [[ -n $choices ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$choices" -- "$cur")
  elif [[ $cur == -* ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$(_tugboat_options "$path") $(_tugboat_options '')" -- "$cur")
  else
    mapfile -t COMPREPLY < <(compgen -W "$(_tugboat_subcommands "$path")" -- "$cur")
  fi
}
complete -o default -F _tugboat tugboat
`;
}

/** zsh: the bash script through zsh's own bash-completion layer (as the AWS CLI and others do). */
function renderZsh(root: Command): string {
  return `#compdef tugboat
# tugboat completion for zsh. Load it with: source <(tugboat completion zsh)
autoload -U +X compinit && compinit
autoload -U +X bashcompinit && bashcompinit
${renderBash(root).split('\n').slice(2).join('\n')}`;
}

/** fish: one `complete` line per subcommand and per option, conditioned on the command path. */
function renderFish(root: Command): string {
  const lines = [
    '# tugboat completion for fish. Load it with: tugboat completion fish | source',
    'complete -c tugboat -f',
  ];
  for (const node of walk(root)) {
    const words = node.path ? node.path.split(' ') : [];
    const inPath = words.length
      ? `__fish_seen_subcommand_from ${words[words.length - 1]}`
      : '__fish_use_subcommand';
    for (const sub of node.subcommands) {
      lines.push(
        `complete -c tugboat -n ${shQuote(inPath)} -a ${sub.name()} -d ${shQuote(sub.description())}`,
      );
    }
    for (const option of node.options) {
      const flags = [
        option.short ? `-s ${option.short.replace(/^-/, '')}` : '',
        option.long ? `-l ${option.long.replace(/^--/, '')}` : '',
        option.required || option.optional ? '-r' : '',
        option.argChoices?.length ? `-a ${shQuote(option.argChoices.join(' '))}` : '',
        option.required && !option.argChoices?.length ? '-F' : '',
      ].filter(Boolean);
      const condition = node.path ? `-n ${shQuote(inPath)} ` : '';
      lines.push(`complete -c tugboat ${condition}${flags.join(' ')} -d ${shQuote(option.description)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** The completion script for `shell`, generated from the commander tree so it never goes stale. */
export function renderCompletion(shell: CompletionShell, root: Command): string {
  if (shell === 'bash') return renderBash(root);
  if (shell === 'zsh') return renderZsh(root);
  return renderFish(root);
}
