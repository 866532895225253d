/**
 * `slipway completion bash|zsh|fish`: the completion script for the shell, generated from the
 * command table (spec.ts): commands, each command's options, the values of options that have
 * choices, bundled playbook names where a PLAYBOOK goes (and files), files for file options.
 */
import { EXIT, InputError } from '../errors.js';
import { parse } from './args.js';
import { bundledNames } from './bundled.js';
import { COMMANDS, longFlag, SHELLS, shortFlag, type CommandSpec, type OptionSpec } from './spec.js';

export async function completion(argv: string[]): Promise<number> {
  const { positionals, usage } = parse(argv, 'completion');
  const shell = positionals[0];
  if (positionals.length !== 1 || !(SHELLS as readonly string[]).includes(shell ?? '')) {
    throw new InputError(`expected one SHELL: ${SHELLS.join(', ')}${shell ? ` (found '${positionals.join(' ')}')` : ''}\n${usage}`);
  }
  const script = shell === 'bash' ? bashScript() : shell === 'zsh' ? zshScript() : fishScript();
  process.stdout.write(script);
  return EXIT.ok;
}

const takesValue = (o: OptionSpec) => o.flags.includes('<');
const words = (o: OptionSpec) => [shortFlag(o), longFlag(o)].filter((w): w is string => w !== undefined);
const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** What completes the value of an option, in bash: a word list, files, directories, or nothing. */
function bashValue(o: OptionSpec): string {
  if (o.choices) return `COMPREPLY=($(compgen -W ${q(o.choices.join(' '))} -- "$cur")); return;;`;
  if (o.complete === 'playbook') return `COMPREPLY=($(compgen -W ${q(bundledNames().join(' '))} -- "$cur")); return;;`;
  if (o.complete === 'dir') return 'COMPREPLY=($(compgen -d -- "$cur")); return;;';
  if (o.complete === 'file') return 'COMPREPLY=($(compgen -f -- "$cur")); return;;';
  return 'return;;';
}

function bashOperand(c: CommandSpec): string {
  if (c.completeOperand === 'playbook') return `COMPREPLY=($(compgen -W ${q(bundledNames().join(' '))} -- "$cur") $(compgen -f -X '!*.y*ml' -- "$cur") $(compgen -d -- "$cur"))`;
  if (c.completeOperand === 'shell') return `COMPREPLY=($(compgen -W ${q(SHELLS.join(' '))} -- "$cur"))`;
  return 'COMPREPLY=()';
}

export function bashScript(): string {
  const cases = COMMANDS.map((c) => {
    const valued = c.options.filter(takesValue);
    const prevCases = valued.length ? `      case "$prev" in\n${valued.map((o) => `        ${words(o).join('|')}) ${bashValue(o)}`).join('\n')}\n      esac\n` : '';
    const all = ['--help', ...c.options.flatMap(words)].join(' ');
    return `    ${c.name})\n${prevCases}      if [[ $cur == -* ]]; then COMPREPLY=($(compgen -W ${q(all)} -- "$cur")); else ${bashOperand(c)}; fi\n      ;;`;
  }).join('\n');
  return `# slipway completion for bash: source <(slipway completion bash)
_slipway() {
  local cur prev cmd
  cur=\${COMP_WORDS[COMP_CWORD]}
  prev=\${COMP_WORDS[COMP_CWORD-1]}
  cmd=\${COMP_WORDS[1]}
  if (( COMP_CWORD == 1 )); then
    COMPREPLY=($(compgen -W ${q([...COMMANDS.map((c) => c.name), 'help', '--help', '--version'].join(' '))} -- "$cur"))
    return
  fi
  case "$cmd" in
${cases}
  esac
}
complete -o filenames -F _slipway slipway
`;
}

/** zsh runs the bash function through bashcompinit: one definition of what completes where. */
export function zshScript(): string {
  return `#compdef slipway
# slipway completion for zsh: slipway completion zsh > "\${fpath[1]}/_slipway" (or source it)
autoload -U +X bashcompinit && bashcompinit
${bashScript().replace(/^# slipway completion for bash.*\n/, '')}`;
}

export function fishScript(): string {
  const lines = ['# slipway completion for fish: slipway completion fish > ~/.config/fish/completions/slipway.fish', 'complete -c slipway -f'];
  for (const c of COMMANDS) lines.push(`complete -c slipway -n '__fish_use_subcommand' -a ${c.name} -d ${q(c.summary)}`);
  for (const c of COMMANDS) {
    const when = `-n '__fish_seen_subcommand_from ${c.name}'`;
    if (c.completeOperand === 'playbook') lines.push(`complete -c slipway ${when} -F -a ${q(bundledNames().join(' '))}`);
    if (c.completeOperand === 'shell') lines.push(`complete -c slipway ${when} -a ${q(SHELLS.join(' '))}`);
    for (const o of c.options) {
      const short = shortFlag(o);
      const parts = ['complete -c slipway', when, `-l ${longFlag(o).slice(2)}`, ...(short ? [`-s ${short.slice(1)}`] : []), `-d ${q(o.description)}`];
      if (o.choices) parts.push(`-x -a ${q(o.choices.join(' '))}`);
      else if (o.complete === 'playbook') parts.push(`-x -a ${q(bundledNames().join(' '))}`);
      else if (o.complete === 'file' || o.complete === 'dir') parts.push('-r -F');
      else if (takesValue(o)) parts.push('-x');
      lines.push(parts.join(' '));
    }
  }
  return `${lines.join('\n')}\n`;
}
