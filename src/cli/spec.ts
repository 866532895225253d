/**
 * Every command of the CLI, its operands, options and examples: one table that parsing
 * (args.ts, on commander), `--help` and the shell completions (completion.ts) all read, so
 * they cannot disagree.
 */

export interface OptionSpec {
  /** commander's flags: `-i, --inventory <file>`, `--force`. */
  flags: string;
  description: string;
  choices?: readonly string[];
  default?: string;
  /** May be given more than once (`-e`); the values collect into a list. */
  repeatable?: boolean;
  /** What the value names, for completion: a file, a directory, a bundled playbook. */
  complete?: 'file' | 'dir' | 'playbook';
}

export interface CommandSpec {
  name: string;
  /** The operands as the usage line shows them: `PLAYBOOK`, `[RUN_ID]`. */
  operands: string;
  /** What the first operand names, for completion. */
  completeOperand?: 'playbook' | 'shell';
  summary: string;
  options: readonly OptionSpec[];
  examples: readonly string[];
}

/** Output modes: every command takes `text` (the same as `plain`) and `json`; the live ones also `tree`. */
export const TEXT_OUTPUTS = ['text', 'plain', 'json'] as const;
export const LIVE_OUTPUTS = ['tree', 'text', 'plain', 'json'] as const;

const inventory: OptionSpec = { flags: '-i, --inventory <file>', description: 'Ansible YAML inventory (a kubespray hosts.yaml works as it is)', complete: 'file' };
const limit: OptionSpec = { flags: '-l, --limit <patterns>', description: 'hosts or groups, comma-separated; !name excludes; globs allowed' };
const extra: OptionSpec = { flags: '-e, --extra <key=value>', description: 'extra var, highest precedence (repeatable); a JSON object passes typed values', repeatable: true };
const acceptNew: OptionSpec = { flags: '--accept-new-host-keys', description: 'record unknown host keys in known_hosts instead of refusing them' };
const askBecome: OptionSpec = { flags: '-K, --ask-become-pass', description: 'prompt for the sudo password (or set SLIPWAY_BECOME_PASSWORD)' };
const sshConfig: OptionSpec = { flags: '--ssh-config <file>', description: 'ssh_config to read instead of ~/.ssh/config', complete: 'file' };
const hosts: OptionSpec = { flags: '--hosts <patterns>', description: "run on these instead of the playbook's hosts: (e.g. kube_node)" };
const on: OptionSpec = { flags: '--on <group>', description: "run the playbook's on: <group> steps (kubectl) on the first reachable host of GROUP" };
const force: OptionSpec = { flags: '--force', description: 'go on although the playbook or inventory changed since the run started' };
const textOutput: OptionSpec = { flags: '--output <mode>', description: 'text or json', choices: TEXT_OUTPUTS, default: 'text' };
const liveOutput: OptionSpec = { flags: '--output <mode>', description: 'tree (the default on a terminal), text (the default otherwise) or json (one event a line)', choices: LIVE_OUTPUTS };

const connection = [inventory, limit, extra, acceptNew, askBecome, sshConfig];

export const COMMANDS: readonly CommandSpec[] = [
  {
    name: 'doctor',
    operands: '',
    summary: 'which known failure each node is about to hit, and the playbook that fixes it',
    options: [...connection, { flags: '--target-version <version>', description: 'check against the Kubernetes version the nodes go to, e.g. 1.27.16' }, textOutput],
    examples: ['slipway doctor -i inventory.yaml', 'slipway doctor -i inventory.yaml --target-version 1.27.16 --output json'],
  },
  {
    name: 'playbooks',
    operands: '',
    summary: 'the bundled playbooks: one line each and the vars they take; --copy writes one here to edit',
    options: [
      { flags: '--copy <name>', description: 'write the bundled playbook NAME (and the playbook schema beside it) into the working directory', complete: 'playbook' },
      { flags: '--to <dir>', description: 'with --copy: write into DIR instead', complete: 'dir' },
      { flags: '--force', description: 'with --copy: overwrite files that are there' },
      textOutput,
    ],
    examples: ['slipway playbooks', 'slipway playbooks --copy containerd-cri-v1', 'slipway plan ./containerd-cri-v1.yaml -i inventory.yaml'],
  },
  {
    name: 'validate',
    operands: 'PLAYBOOK',
    completeOperand: 'playbook',
    summary: 'check a playbook (and an inventory) offline',
    options: [inventory, limit, extra],
    examples: ['slipway validate containerd-cri-v1', 'slipway validate ./my-playbook.yaml -i inventory.yaml'],
  },
  {
    name: 'plan',
    operands: 'PLAYBOOK',
    completeOperand: 'playbook',
    summary: 'connect, check every step on every node, and show what a run would change (diffs included)',
    options: [...connection, hosts, on, textOutput],
    examples: [
      'slipway plan containerd-cri-v1 -i inventory.yaml',
      'slipway plan kubelet-removed-flags -i inventory.yaml -l node-3 -e target_version=1.27.16',
      'slipway plan ./my-playbook.yaml -i inventory.yaml --output json',
    ],
  },
  {
    name: 'run',
    operands: 'PLAYBOOK',
    completeOperand: 'playbook',
    summary: 'apply the playbook in rolling batches, with the live task tree',
    options: [...connection, hosts, on, liveOutput],
    examples: ['slipway run containerd-cri-v1 -i inventory.yaml', 'slipway run kubernetes-minor-upgrade -i inventory.yaml -e target_version=1.27.16 -e package_version=1.27.16-1.1'],
  },
  {
    name: 'resume',
    operands: '[RUN_ID]',
    summary: 'continue a failed or interrupted run (default: the latest), never redoing finished work',
    options: [
      extra,
      { ...limit, description: 'only these nodes now; the others wait for a later resume' },
      { flags: '--skip <hosts>', description: 'give these nodes up (journaled); the run ends without them' },
      force,
      liveOutput,
      acceptNew,
      askBecome,
    ],
    examples: ['slipway resume', 'slipway resume 20250131-120000-ab12cd --limit node-3', 'slipway resume --skip node-4'],
  },
  {
    name: 'rollback',
    operands: 'RUN_ID',
    summary: "take a run's nodes back to their last rollback point, or to the start",
    options: [
      { ...limit, description: 'only these nodes' },
      { flags: '--to <point>', description: 'checkpoint (the last one) or start', choices: ['checkpoint', 'start'], default: 'checkpoint' },
      extra,
      force,
      { flags: '--output <mode>', description: 'text or json', choices: TEXT_OUTPUTS, default: 'text' },
      acceptNew,
      askBecome,
    ],
    examples: ['slipway rollback 20250131-120000-ab12cd', 'slipway rollback 20250131-120000-ab12cd --to start --limit node-2'],
  },
  {
    name: 'runs',
    operands: '[RUN_ID]',
    summary: 'list runs and their outcome; with RUN_ID, that run node by node',
    options: [textOutput],
    examples: ['slipway runs', 'slipway runs 20250131-120000-ab12cd --output json'],
  },
  {
    name: 'report',
    operands: '[RUN_ID]',
    summary: "a run's report for the change ticket (default: the latest run, Markdown on standard output)",
    options: [
      { flags: '--format <format>', description: 'md, html or json', choices: ['md', 'html', 'json'], default: 'md' },
      { flags: '-o, --out <file>', description: 'write it to FILE', complete: 'file' },
    ],
    examples: ['slipway report', 'slipway report 20250131-120000-ab12cd --format html --out change-1234.html'],
  },
  {
    name: 'stop',
    operands: '[RUN_ID]',
    summary: 'from another terminal: stop a run after the steps in flight',
    options: [{ flags: '--wait', description: 'wait until the run has stopped' }],
    examples: ['slipway stop', 'slipway stop 20250131-120000-ab12cd --wait'],
  },
  {
    name: 'completion',
    operands: 'SHELL',
    completeOperand: 'shell',
    summary: 'the shell completion script for bash, zsh or fish',
    options: [],
    examples: ['source <(slipway completion bash)', 'slipway completion zsh > "${fpath[1]}/_slipway"', 'slipway completion fish > ~/.config/fish/completions/slipway.fish'],
  },
];

export const SHELLS = ['bash', 'zsh', 'fish'] as const;

export function commandSpec(name: string): CommandSpec {
  const spec = COMMANDS.find((c) => c.name === name);
  if (!spec) throw new Error(`no command spec '${name}'`);
  return spec;
}

/** `--inventory` from `-i, --inventory <file>`. */
export function longFlag(option: OptionSpec): string {
  return /--[a-z-]+/.exec(option.flags)?.[0] ?? option.flags;
}

/** `-i` from `-i, --inventory <file>`, or undefined. */
export function shortFlag(option: OptionSpec): string | undefined {
  return /^-[A-Za-z](?=,)/.exec(option.flags)?.[0];
}

/** The usage line of a command: `slipway plan PLAYBOOK [options]`. */
export function usageLine(spec: CommandSpec): string {
  return `usage: slipway ${spec.name}${spec.operands ? ` ${spec.operands}` : ''}${spec.options.length ? ' [options]' : ''}   (slipway ${spec.name} --help)`;
}
