/**
 * `npm run fleet -- up --nodes N --dir DIR [--profile NAME]`, `down --dir DIR`, `status --dir DIR`.
 */
import { parseArgs } from 'node:util';
import path from 'node:path';
import { formatTable } from '../../src/ui/table.js';
import { Fleet } from './fleet.js';
import { PROFILES, isProfileName } from './profiles.js';

const usage = `usage: npm run fleet -- <up|down|status> [--dir DIR] [--nodes N] [--profile NAME]
  up      start a control-plane node cp-1 and N worker nodes node-1..node-N (default 3);
          writes DIR/inventory.yaml, DIR/known_hosts and DIR/id_ed25519
  down    stop every node of the fleet in DIR and remove its state
  status  list the nodes of the fleet in DIR
  --dir DIR        fleet directory (default .fleet)
  --profile NAME   seed profile: ${PROFILES.join(', ')}`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      dir: { type: 'string', default: '.fleet' },
      nodes: { type: 'string', default: '3' },
      profile: { type: 'string', default: 'base' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const command = positionals[0];
  if (values.help || !command) {
    console.log(usage);
    return command ? 0 : 2;
  }
  const dir = values.dir;
  switch (command) {
    case 'up': {
      const nodes = Number(values.nodes);
      if (!Number.isInteger(nodes) || nodes < 0 || nodes > 500) {
        console.error(`--nodes must be a whole number from 0 to 500 (found '${values.nodes}')`);
        return 2;
      }
      if (!isProfileName(values.profile)) {
        console.error(`unknown profile '${values.profile}' (profiles: ${PROFILES.join(', ')})`);
        return 2;
      }
      const started = Date.now();
      const fleet = await Fleet.up({ dir, nodes, profile: values.profile });
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      console.log(`fleet up: ${fleet.nodes.length} nodes in ${seconds}s (profile ${values.profile})`);
      printStatus(fleet);
      const rel = path.relative(process.cwd(), fleet.inventoryFile) || fleet.inventoryFile;
      console.log(`\ninventory: ${rel}`);
      console.log(`reach a node: ssh -i ${path.join(dir, 'id_ed25519')} -o UserKnownHostsFile=${path.join(dir, 'known_hosts')} -p ${fleet.nodes[0]?.port} root@127.0.0.1`);
      console.log(`stop it:     npm run fleet -- down --dir ${dir}`);
      return 0;
    }
    case 'down': {
      const fleet = await Fleet.load(dir);
      const n = fleet.nodes.length;
      await fleet.down();
      console.log(`fleet down: ${n} nodes stopped`);
      return 0;
    }
    case 'status': {
      printStatus(await Fleet.load(dir));
      return 0;
    }
    default:
      console.error(`unknown command '${command}'\n${usage}`);
      return 2;
  }
}

function printStatus(fleet: Fleet): void {
  const rows = fleet.status().map((s) => [s.name, s.groups.join(','), String(s.port), s.node, s.sshd]);
  console.log(formatTable(['NODE', 'GROUPS', 'PORT', 'STATE', 'SSHD'], rows));
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`fleet: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
