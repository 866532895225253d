// systemctl stand-in for fleet nodes (there is no systemd inside a node's namespaces).
//
// It behaves like systemd for what slipway needs: units are read from /etc/systemd/system,
// /run/systemd/system and /lib/systemd/system with their `.d/` drop-ins; the configuration in
// force is the one loaded at boot or at the last `daemon-reload` (an edit on disk without a
// reload is reported by NeedDaemonReload=yes and a warning, as systemd does); `start` spawns the
// unit's real ExecStart with Environment= and EnvironmentFile= applied; exit codes and messages
// follow systemctl's. State that systemd keeps in memory lives under /run (lost on node restart);
// enablement is the usual symlink under /etc/systemd/system/*.wants.
//
// Plain JavaScript with no dependencies: it is copied onto each node as /usr/bin/systemctl.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const UNIT_DIRS = ['/etc/systemd/system', '/run/systemd/system', '/lib/systemd/system'];
const RUN_DIR = '/run/fleet-systemd';
const LOADED_DIR = `${RUN_DIR}/loaded`;
const STATE_DIR = `${RUN_DIR}/state`;
const JOURNAL_DIR = '/var/log/fleet-journal';
/** Readiness for Type=notify units: we cannot receive sd_notify, so wait for the socket they serve. */
const READY_PATHS = {
  'containerd.service': '/run/containerd/containerd.sock',
  'crio.service': '/var/run/crio/crio.sock',
  'docker.service': '/var/run/docker.sock',
  'cri-docker.service': '/run/cri-dockerd.sock',
};
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

const EXIT = { ok: 0, failure: 1, notRunning: 3, noSuchUnit: 4, notLoaded: 5 };

function unitName(name) {
  if (/\.(service|socket|target|timer|mount|path|slice|scope)$/.test(name)) return name;
  return `${name}.service`;
}

// ---------------------------------------------------------------- unit files

function findFragment(unit) {
  for (const dir of UNIT_DIRS) {
    const p = path.join(dir, unit);
    if (fs.existsSync(p)) {
      // /dev/null masks a unit
      const real = fs.realpathSync(p);
      return { path: p, masked: real === '/dev/null' };
    }
  }
  return undefined;
}

function findDropIns(unit) {
  const byName = new Map();
  // Lowest priority first so higher-priority directories override same-named files.
  for (const dir of [...UNIT_DIRS].reverse()) {
    const d = path.join(dir, `${unit}.d`);
    let entries = [];
    try {
      entries = fs.readdirSync(d);
    } catch {
      continue;
    }
    for (const f of entries) if (f.endsWith('.conf')) byName.set(f, path.join(d, f));
  }
  return [...byName.keys()].sort().map((k) => byName.get(k));
}

/** Parses a unit file into [section, key, value] assignments in order. */
function parseUnitFile(text) {
  const out = [];
  let section = '';
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i];
    while (line.endsWith('\\') && i + 1 < lines.length) line = line.slice(0, -1) + ' ' + lines[++i];
    const t = line.trim();
    if (!t || t.startsWith('#') || t.startsWith(';')) continue;
    const sec = /^\[(.+)\]$/.exec(t);
    if (sec) {
      section = sec[1];
      continue;
    }
    const eq = t.indexOf('=');
    if (eq < 0) continue;
    out.push([section, t.slice(0, eq).trim(), t.slice(eq + 1).trim()]);
  }
  return out;
}

const LIST_KEYS = new Set(['ExecStart', 'ExecStartPre', 'ExecStartPost', 'ExecStop', 'Environment', 'EnvironmentFile']);

function loadUnitFromDisk(unit) {
  const fragment = findFragment(unit);
  if (!fragment) return { unit, loadState: 'not-found' };
  if (fragment.masked) return { unit, loadState: 'masked', fragmentPath: fragment.path };
  const dropIns = findDropIns(unit);
  const files = [fragment.path, ...dropIns];
  const hash = createHash('sha256');
  const settings = {};
  for (const file of files) {
    const text = fs.readFileSync(file, 'utf8');
    hash.update(file).update('\0').update(text).update('\0');
    for (const [section, key, value] of parseUnitFile(text)) {
      const k = `${section}.${key}`;
      if (LIST_KEYS.has(key)) {
        if (value === '') settings[k] = [];
        else (settings[k] ??= []).push(value);
      } else {
        settings[k] = value;
      }
    }
  }
  return {
    unit,
    loadState: 'loaded',
    fragmentPath: fragment.path,
    dropInPaths: dropIns,
    settings,
    hash: hash.digest('hex'),
    hasInstall: Object.keys(settings).some((k) => k.startsWith('Install.')),
  };
}

function diskHash(unit) {
  const u = loadUnitFromDisk(unit);
  return u.loadState === 'loaded' ? u.hash : u.loadState;
}

function loadedPath(unit) {
  return path.join(LOADED_DIR, `${unit}.json`);
}

/** The configuration in force: as loaded at boot or at the last daemon-reload. */
function loadedUnit(unit) {
  try {
    return JSON.parse(fs.readFileSync(loadedPath(unit), 'utf8'));
  } catch {
    // Not loaded yet (systemd would have loaded it at boot): load it now.
    const u = loadUnitFromDisk(unit);
    if (u.loadState === 'loaded') saveLoaded(u);
    return u;
  }
}

function saveLoaded(u) {
  fs.mkdirSync(LOADED_DIR, { recursive: true });
  fs.writeFileSync(loadedPath(u.unit), JSON.stringify(u));
}

function needsReload(unit) {
  const loaded = loadedUnit(unit);
  const current = diskHash(unit);
  const was = loaded.loadState === 'loaded' ? loaded.hash : loaded.loadState;
  return was !== current;
}

function daemonReload() {
  fs.rmSync(LOADED_DIR, { recursive: true, force: true });
  fs.mkdirSync(LOADED_DIR, { recursive: true });
  const seen = new Set();
  for (const dir of UNIT_DIRS) {
    let entries = [];
    try {
      entries = fs.readdirSync(dir);
    } catch {
      continue;
    }
    for (const f of entries) {
      if (!f.endsWith('.service') || seen.has(f)) continue;
      seen.add(f);
      const u = loadUnitFromDisk(f);
      if (u.loadState === 'loaded') saveLoaded(u);
    }
  }
  // Units that are active keep running; their loaded config is what the next start uses.
}

// ---------------------------------------------------------------- environment and command lines

/** Splits a systemd-style word list honouring double and single quotes. */
function splitWords(text) {
  const words = [];
  let cur = '';
  let inWord = false;
  let quote = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === '\\' && quote === '"' && i + 1 < text.length) {
        cur += text[++i];
      } else if (c === quote) {
        quote = '';
      } else {
        cur += c;
      }
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else if (c === '\\' && i + 1 < text.length) {
      cur += text[++i];
      inWord = true;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (inWord) words.push(cur);
  return words;
}

function parseEnvFile(text) {
  const env = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    const key = line.slice(0, eq).trim();
    let value = line.slice(eq + 1).trim();
    if ((value.startsWith('"') && value.endsWith('"')) || (value.startsWith("'") && value.endsWith("'"))) {
      value = value.slice(1, -1);
    }
    env[key] = value;
  }
  return env;
}

/** Environment= and EnvironmentFile= merged in order, as systemd does at exec time. */
function unitEnvironment(u) {
  const env = {};
  for (const assignment of u.settings['Service.Environment'] ?? []) {
    for (const word of splitWords(assignment)) {
      const eq = word.indexOf('=');
      if (eq > 0) env[word.slice(0, eq)] = word.slice(eq + 1);
    }
  }
  for (const spec of u.settings['Service.EnvironmentFile'] ?? []) {
    const optional = spec.startsWith('-');
    const file = optional ? spec.slice(1) : spec;
    let text;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      if (optional) continue;
      return { error: `Failed to load environment files: No such file or directory (${file})` };
    }
    Object.assign(env, parseEnvFile(text));
  }
  return { env };
}

/** Expands $VAR (split into words) and ${VAR} (one word) like systemd's ExecStart=. */
function expandCommandLine(line, env) {
  const argv = [];
  for (const word of splitWords(line)) {
    const whole = /^\$([A-Za-z_][A-Za-z0-9_]*)$/.exec(word);
    if (whole) {
      argv.push(...splitWords(env[whole[1]] ?? ''));
      continue;
    }
    argv.push(word.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name) => env[name] ?? ''));
  }
  return argv;
}

function parseExec(spec) {
  let ignoreFailure = false;
  let s = spec;
  while (/^[-@+!:]/.test(s)) {
    if (s[0] === '-') ignoreFailure = true;
    s = s.slice(1);
  }
  return { line: s, ignoreFailure };
}

// ---------------------------------------------------------------- runtime state

function statePath(unit) {
  return path.join(STATE_DIR, `${unit}.json`);
}

function readState(unit) {
  try {
    return JSON.parse(fs.readFileSync(statePath(unit), 'utf8'));
  } catch {
    return { activeState: 'inactive', subState: 'dead', mainPid: 0 };
  }
}

function writeState(unit, state) {
  fs.mkdirSync(STATE_DIR, { recursive: true });
  const tmp = `${statePath(unit)}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(state));
  fs.renameSync(tmp, statePath(unit));
}

function isAlive(pid) {
  if (!pid) return false;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const st = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return st !== 'Z' && st !== 'X';
  } catch {
    return false;
  }
}

function exitFile(unit) {
  return path.join(STATE_DIR, `${unit}.exit`);
}

/** Blocks this (short-lived) systemctl process for `ms`, as the state reads are synchronous. */
function sleepSync(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * The exit status the wrapper recorded for the main process `pid`, or '' when it has none. The
 * record names its PID: a restart's previous wrapper can write its record after the new start
 * began, and that status is not this process's.
 */
function exitStatusOf(unit, pid, wrapperPid) {
  const deadline = Date.now() + 5_000;
  for (;;) {
    try {
      const [recordPid, code] = fs.readFileSync(exitFile(unit), 'utf8').trim().split(' ');
      if (Number(recordPid) === pid) return code ?? '';
    } catch {
      /* not written yet, or killed without a wrapper exit record */
    }
    // The main process is gone; its wrapper writes the record as soon as it reaps it.
    if (!isAlive(wrapperPid) || Date.now() > deadline) return '';
    sleepSync(10);
  }
}

/** The state as systemd would report it now: a main process that died turns the unit failed. */
function currentState(unit) {
  const s = readState(unit);
  if (s.activeState === 'active' && !s.socket && !isAlive(s.mainPid)) {
    const code = exitStatusOf(unit, s.mainPid, s.wrapperPid ?? 0);
    const failed = code !== '0';
    const next = {
      ...s,
      activeState: failed ? 'failed' : 'inactive',
      subState: failed ? 'failed' : 'dead',
      result: failed ? (code === '' || Number(code) > 128 ? 'signal' : 'exit-code') : 'success',
      execMainStatus: code === '' ? '' : code,
      mainPid: 0,
    };
    writeState(unit, next);
    return next;
  }
  return s;
}

function journal(unit, line) {
  fs.mkdirSync(JOURNAL_DIR, { recursive: true });
  fs.appendFileSync(path.join(JOURNAL_DIR, `${unit}.log`), `${new Date().toISOString()} ${line}\n`);
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

// ---------------------------------------------------------------- actions

function warnIfChanged(unit) {
  if (needsReload(unit)) {
    process.stderr.write(
      `Warning: The unit file, source configuration file or drop-ins of ${unit} changed on disk. Run 'systemctl daemon-reload' to reload units.\n`,
    );
  }
}

function jobFailed(unit) {
  const base = unit.replace(/\.service$/, '');
  process.stderr.write(
    `Job for ${unit} failed because the control process exited with error code.\nSee "systemctl status ${unit}" and "journalctl -xeu ${unit}" for details.\n`,
  );
  void base;
}

function runSync(argv, env) {
  const r = spawnSync(argv[0], argv.slice(1), { env, encoding: 'utf8' });
  return r.error ? 127 : (r.status ?? 128);
}

async function start(unit) {
  const u = loadedUnit(unit);
  if (u.loadState === 'not-found') {
    process.stderr.write(`Failed to start ${unit}: Unit ${unit} not found.\n`);
    return EXIT.notLoaded;
  }
  if (u.loadState === 'masked') {
    process.stderr.write(`Failed to start ${unit}: Unit ${unit} is masked.\n`);
    return EXIT.failure;
  }
  warnIfChanged(unit);
  const s = currentState(unit);
  if (s.activeState === 'active') return EXIT.ok;
  if (unit.endsWith('.socket')) {
    // systemd would listen and start the service on the first connection; here the service
    // serves its socket itself, so a socket unit is only its state.
    writeState(unit, { activeState: 'active', subState: 'listening', mainPid: 0, since: Date.now(), socket: true });
    journal(unit, `Listening on ${u.settings['Unit.Description'] ?? unit}.`);
    return EXIT.ok;
  }

  const fail = (why) => {
    journal(unit, why);
    writeState(unit, { activeState: 'failed', subState: 'failed', mainPid: 0, result: 'exit-code', since: Date.now() });
    jobFailed(unit);
    return EXIT.failure;
  };

  const envResult = unitEnvironment(u);
  if (envResult.error) return fail(envResult.error);
  const env = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', ...envResult.env };

  for (const pre of u.settings['Service.ExecStartPre'] ?? []) {
    const { line, ignoreFailure } = parseExec(pre);
    const code = runSync(expandCommandLine(line, env), env);
    if (code !== 0 && !ignoreFailure) return fail(`ExecStartPre ${line} failed with ${code}`);
  }
  const execs = u.settings['Service.ExecStart'] ?? [];
  if (execs.length === 0) {
    process.stderr.write(`Failed to start ${unit}: Unit ${unit} has no ExecStart= setting.\n`);
    return EXIT.failure;
  }
  const { line } = parseExec(execs[execs.length - 1]);
  const argv = expandCommandLine(line, env);
  if (!argv[0] || !fs.existsSync(argv[0])) {
    return fail(`${unit}: Failed to locate executable ${argv[0]}: No such file or directory`);
  }

  fs.mkdirSync(STATE_DIR, { recursive: true });
  fs.mkdirSync(JOURNAL_DIR, { recursive: true });
  fs.rmSync(exitFile(unit), { force: true });
  const log = fs.openSync(path.join(JOURNAL_DIR, `${unit}.log`), 'a');
  // A small shell parent records the exit status of the main process, as systemd's manager would.
  const pidFile = path.join(STATE_DIR, `${unit}.pid`);
  fs.rmSync(pidFile, { force: true });
  const wrapper = spawn(
    '/bin/sh',
    ['-c', '"$@" & p=$!; echo $p > "$PIDFILE"; wait $p; echo "$p $?" > "$EXITFILE"', 'unit', ...argv],
    {
      detached: true,
      stdio: ['ignore', log, log],
      env: { ...env, PIDFILE: pidFile, EXITFILE: exitFile(unit) },
    },
  );
  wrapper.unref();
  // systemd knows the main PID at once; here the wrapper writes it. On a machine busy with other
  // fleets the wrapper can take seconds to get there: wait for it (a unit marked active with no
  // main PID would read as failed a moment later, with its process running).
  let mainPid = 0;
  const pidDeadline = Date.now() + 15_000;
  while (!mainPid && Date.now() < pidDeadline) {
    try {
      mainPid = Number(fs.readFileSync(pidFile, 'utf8').trim());
    } catch {
      await sleep(5);
    }
  }
  if (!mainPid) return fail(`${unit}: the main process did not start within 15s`);
  writeState(unit, {
    activeState: 'active',
    subState: 'running',
    mainPid,
    wrapperPid: wrapper.pid ?? 0,
    since: Date.now(),
    argv,
    type: u.settings['Service.Type'] ?? 'simple',
  });
  journal(unit, `Started ${u.settings['Unit.Description'] ?? unit} (pid ${mainPid}): ${argv.join(' ')}`);

  const type = u.settings['Service.Type'] ?? 'simple';
  if (type === 'notify' || type === 'forking') {
    const ready = READY_PATHS[unit];
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      await sleep(50);
      if (!isAlive(mainPid)) {
        currentState(unit);
        jobFailed(unit);
        return EXIT.failure;
      }
      if (ready ? fs.existsSync(ready) : Date.now() > deadline - START_TIMEOUT_MS + 300) break;
      if (Date.now() > deadline) {
        await stop(unit, { quiet: true });
        writeState(unit, { activeState: 'failed', subState: 'failed', mainPid: 0, result: 'timeout', since: Date.now() });
        process.stderr.write(`Job for ${unit} failed because a timeout was exceeded.\n`);
        return EXIT.failure;
      }
    }
  }
  return EXIT.ok;
}

async function stop(unit, { quiet = false } = {}) {
  const u = loadedUnit(unit);
  const s = currentState(unit);
  if (u.loadState === 'not-found' && s.activeState === 'inactive') {
    if (!quiet) process.stderr.write(`Failed to stop ${unit}: Unit ${unit} not loaded.\n`);
    return EXIT.notLoaded;
  }
  if (!quiet) warnIfChanged(unit);
  if (s.activeState === 'active' && s.mainPid) {
    const killMode = u.settings?.['Service.KillMode'] ?? 'control-group';
    const signalAll = (sig) => {
      try {
        if (killMode === 'process') process.kill(s.mainPid, sig);
        else process.kill(-s.mainPid, sig);
      } catch {
        try {
          process.kill(s.mainPid, sig);
        } catch {
          /* already gone */
        }
      }
    };
    signalAll('SIGTERM');
    const deadline = Date.now() + STOP_TIMEOUT_MS;
    while (isAlive(s.mainPid) && Date.now() < deadline) await sleep(20);
    if (isAlive(s.mainPid)) signalAll('SIGKILL');
    while (isAlive(s.mainPid)) await sleep(10);
    journal(unit, `Stopped ${unit}.`);
  }
  writeState(unit, { activeState: 'inactive', subState: 'dead', mainPid: 0, since: Date.now(), result: 'success' });
  return EXIT.ok;
}

function wantsLinks(unit) {
  const u = loadedUnit(unit);
  const wanted = [];
  for (const key of ['Install.WantedBy', 'Install.RequiredBy']) {
    const v = u.settings?.[key];
    if (v) for (const t of splitWords(v)) wanted.push(path.join('/etc/systemd/system', `${t}.${key.endsWith('WantedBy') ? 'wants' : 'requires'}`, unit));
  }
  return wanted;
}

function enablementState(unit) {
  const fragment = findFragment(unit);
  if (!fragment) return 'not-found';
  if (fragment.masked) return 'masked';
  const u = loadUnitFromDisk(unit);
  for (const dir of fs.existsSync('/etc/systemd/system') ? fs.readdirSync('/etc/systemd/system') : []) {
    if (!/\.(wants|requires)$/.test(dir)) continue;
    if (fs.existsSync(path.join('/etc/systemd/system', dir, unit))) return 'enabled';
    try {
      fs.lstatSync(path.join('/etc/systemd/system', dir, unit));
      return 'enabled';
    } catch {
      /* not there */
    }
  }
  return u.hasInstall ? 'disabled' : 'static';
}

function enable(unit) {
  const fragment = findFragment(unit);
  if (!fragment) {
    process.stderr.write(`Failed to enable unit: Unit file ${unit} does not exist.\n`);
    return EXIT.failure;
  }
  const links = wantsLinks(unit);
  if (links.length === 0) {
    process.stderr.write(
      `The unit files have no installation config (WantedBy=, RequiredBy=, Also=,\nAlias= settings in the [Install] section, and DefaultInstance= for template\nunits). This means they are not meant to be enabled or disabled using systemctl.\n`,
    );
    return EXIT.ok;
  }
  for (const link of links) {
    let exists = false;
    try {
      fs.lstatSync(link);
      exists = true;
    } catch {
      /* create */
    }
    if (!exists) {
      fs.mkdirSync(path.dirname(link), { recursive: true });
      fs.symlinkSync(fragment.path, link);
      process.stderr.write(`Created symlink ${link} → ${fragment.path}.\n`);
    }
  }
  return EXIT.ok;
}

function disable(unit) {
  if (!findFragment(unit)) {
    process.stderr.write(`Failed to disable unit: Unit file ${unit} does not exist.\n`);
    return EXIT.failure;
  }
  for (const dir of fs.existsSync('/etc/systemd/system') ? fs.readdirSync('/etc/systemd/system') : []) {
    if (!/\.(wants|requires)$/.test(dir)) continue;
    const link = path.join('/etc/systemd/system', dir, unit);
    try {
      fs.lstatSync(link);
      fs.unlinkSync(link);
      process.stderr.write(`Removed "${link}".\n`);
    } catch {
      /* not enabled there */
    }
  }
  return EXIT.ok;
}

function properties(unit) {
  const u = loadedUnit(unit);
  const s = currentState(unit);
  const activeState = s.activeState;
  return {
    Id: unit,
    Names: unit,
    LoadState: u.loadState,
    ActiveState: activeState,
    SubState: s.subState ?? (activeState === 'active' ? 'running' : 'dead'),
    MainPID: String(s.mainPid ?? 0),
    NRestarts: String(s.nRestarts ?? 0),
    Result: s.result ?? 'success',
    ExecMainStatus: s.execMainStatus ?? '0',
    UnitFileState: u.loadState === 'not-found' ? '' : enablementState(unit),
    FragmentPath: u.fragmentPath ?? '',
    DropInPaths: (u.dropInPaths ?? []).join(' '),
    NeedDaemonReload: needsReload(unit) ? 'yes' : 'no',
    Type: u.settings?.['Service.Type'] ?? 'simple',
    Description: u.settings?.['Unit.Description'] ?? unit,
    ExecStart: (u.settings?.['Service.ExecStart'] ?? []).map((e) => `{ path=${splitWords(parseExec(e).line)[0] ?? ''} ; argv[]=${parseExec(e).line} }`).join(' '),
    Environment: (u.settings?.['Service.Environment'] ?? []).join(' '),
    EnvironmentFiles: (u.settings?.['Service.EnvironmentFile'] ?? []).map((f) => `${f.replace(/^-/, '')} (ignore_errors=${f.startsWith('-') ? 'yes' : 'no'})`).join(' '),
    ActiveEnterTimestamp: s.since && activeState === 'active' ? new Date(s.since).toUTCString() : '',
  };
}

function show(units, props, valueOnly) {
  const blocks = [];
  for (const unit of units) {
    const all = properties(unit);
    const keys = props.length ? props : Object.keys(all);
    blocks.push(keys.map((k) => (valueOnly ? `${all[k] ?? ''}` : `${k}=${all[k] ?? ''}`)).join('\n'));
  }
  process.stdout.write(blocks.join('\n\n') + '\n');
  return EXIT.ok;
}

function status(unit) {
  const u = loadedUnit(unit);
  if (u.loadState === 'not-found') {
    process.stderr.write(`Unit ${unit} could not be found.\n`);
    return EXIT.noSuchUnit;
  }
  const p = properties(unit);
  const dot = p.ActiveState === 'active' ? '●' : p.ActiveState === 'failed' ? '×' : '○';
  const lines = [
    `${dot} ${unit} - ${p.Description}`,
    `     Loaded: ${u.loadState} (${u.fragmentPath}; ${p.UnitFileState})`,
  ];
  if (u.dropInPaths?.length) {
    lines.push(`    Drop-In: ${u.dropInPaths.map((d) => d).join('\n             ')}`);
  }
  const sub = p.SubState;
  lines.push(`     Active: ${p.ActiveState} (${sub})${p.ActiveEnterTimestamp ? ` since ${p.ActiveEnterTimestamp}` : ''}`);
  if (p.MainPID !== '0') lines.push(`   Main PID: ${p.MainPID}`);
  if (p.NeedDaemonReload === 'yes') {
    lines.push(`Warning: The unit file, source configuration file or drop-ins of ${unit} changed on disk. Run 'systemctl daemon-reload' to reload units.`);
  }
  try {
    const log = fs.readFileSync(path.join(JOURNAL_DIR, `${unit}.log`), 'utf8').trimEnd().split('\n').slice(-10);
    lines.push('', ...log);
  } catch {
    /* no journal yet */
  }
  process.stdout.write(lines.join('\n') + '\n');
  return p.ActiveState === 'active' ? EXIT.ok : EXIT.notRunning;
}

function cat(unit) {
  const u = loadUnitFromDisk(unit);
  if (u.loadState !== 'loaded') {
    process.stderr.write(`No files found for ${unit}.\n`);
    return EXIT.failure;
  }
  const parts = [];
  for (const f of [u.fragmentPath, ...u.dropInPaths]) parts.push(`# ${f}\n${fs.readFileSync(f, 'utf8')}`);
  process.stdout.write(parts.join('\n'));
  return EXIT.ok;
}

// ---------------------------------------------------------------- command line

async function main(args) {
  const flags = new Set();
  const props = [];
  const positional = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '-p' || a === '--property') props.push(...args[++i].split(','));
    else if (a.startsWith('--property=')) props.push(...a.slice(11).split(','));
    else if (a.startsWith('-p') && a.length > 2) props.push(...a.slice(2).split(','));
    else if (a.startsWith('-')) flags.add(a);
    else positional.push(a);
  }
  const [verb, ...names] = positional;
  const units = names.map(unitName);
  const quiet = flags.has('-q') || flags.has('--quiet');
  const now = flags.has('--now');

  const needUnits = (what) => {
    if (units.length === 0) {
      process.stderr.write(`Too few arguments.\n`);
      return false;
    }
    void what;
    return true;
  };

  switch (verb) {
    case 'daemon-reload':
    case 'daemon-reexec':
      daemonReload();
      return EXIT.ok;
    case 'start':
    case 'stop':
    case 'restart':
    case 'try-restart':
    case 'reload-or-restart': {
      if (!needUnits(verb)) return EXIT.failure;
      let rc = EXIT.ok;
      for (const unit of units) {
        let r;
        if (verb === 'start') r = await start(unit);
        else if (verb === 'stop') r = await stop(unit);
        else if (verb === 'try-restart' && currentState(unit).activeState !== 'active') r = EXIT.ok;
        else {
          const u = loadedUnit(unit);
          if (u.loadState === 'not-found') {
            process.stderr.write(`Failed to restart ${unit}: Unit ${unit} not found.\n`);
            r = EXIT.notLoaded;
          } else {
            await stop(unit, { quiet: true });
            r = await start(unit);
          }
        }
        if (r !== EXIT.ok) rc = r;
      }
      return rc;
    }
    case 'is-active': {
      if (!needUnits(verb)) return EXIT.failure;
      let rc = EXIT.ok;
      for (const unit of units) {
        const s = currentState(unit).activeState;
        if (!quiet) process.stdout.write(`${s}\n`);
        if (s !== 'active') rc = EXIT.notRunning;
      }
      return rc;
    }
    case 'is-failed': {
      if (!needUnits(verb)) return EXIT.failure;
      let rc = EXIT.failure;
      for (const unit of units) {
        const s = currentState(unit).activeState;
        if (!quiet) process.stdout.write(`${s}\n`);
        if (s === 'failed') rc = EXIT.ok;
      }
      return rc;
    }
    case 'is-enabled': {
      if (!needUnits(verb)) return EXIT.failure;
      let rc = EXIT.ok;
      for (const unit of units) {
        const e = enablementState(unit);
        if (e === 'not-found') {
          process.stderr.write(`Failed to get unit file state for ${unit}: No such file or directory\n`);
          rc = EXIT.failure;
          continue;
        }
        if (!quiet) process.stdout.write(`${e}\n`);
        if (e !== 'enabled' && e !== 'static') rc = EXIT.failure;
      }
      return rc;
    }
    case 'enable':
    case 'disable': {
      if (!needUnits(verb)) return EXIT.failure;
      let rc = EXIT.ok;
      for (const unit of units) {
        const r = verb === 'enable' ? enable(unit) : disable(unit);
        if (r !== EXIT.ok) rc = r;
        else if (now) {
          const r2 = verb === 'enable' ? await start(unit) : await stop(unit);
          if (r2 !== EXIT.ok) rc = r2;
        }
      }
      return rc;
    }
    case 'show':
      return show(units.length ? units : ['init.scope'], props, flags.has('--value'));
    case 'status': {
      if (!needUnits(verb)) return EXIT.failure;
      let rc = EXIT.ok;
      for (const unit of units) {
        const r = status(unit);
        if (r !== EXIT.ok) rc = r;
      }
      return rc;
    }
    case 'cat':
      if (!needUnits(verb)) return EXIT.failure;
      return units.map(cat).reduce((a, b) => (b !== EXIT.ok ? b : a), EXIT.ok);
    case 'reset-failed':
      for (const unit of units) {
        if (currentState(unit).activeState === 'failed') writeState(unit, { activeState: 'inactive', subState: 'dead', mainPid: 0 });
      }
      return EXIT.ok;
    case '--version':
    case undefined:
      if (flags.has('--version')) {
        process.stdout.write('systemd 252 (252.fleet-stand-in)\n');
        return EXIT.ok;
      }
      process.stderr.write('systemctl: a command is required\n');
      return EXIT.failure;
    default:
      process.stderr.write(`Unknown command verb '${verb}'.\n`);
      return EXIT.failure;
  }
}

if (process.argv[2] === '--fleet-boot') {
  // Called once by the node's init: load every unit, as systemd does at boot.
  daemonReload();
  process.exit(0);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`systemctl: ${err && err.message ? err.message : String(err)}\n`);
    process.exit(EXIT.failure);
  },
);
