import { describe, expect, it } from 'vitest';
import { expandSshTokens, parseProxyJump, parseSshConfig } from '../../src/inventory/ssh-config.js';

const config = parseSshConfig(`
Host bastion
  HostName 192.0.2.10
  User ops
  Port 2200

Host node-*
  user deploy
  IdentityFile ~/.ssh/cluster_ed25519
  IdentityFile ~/.ssh/%r_rsa
  ProxyJump bastion
  UserKnownHostsFile ~/.ssh/cluster_known_hosts ~/.ssh/other

Match exec "true"
  User wrong

Host *
  Port 22
  User fallback
`);

describe('parseSshConfig', () => {
  it('computes settings case-insensitively, first value wins, IdentityFile accumulates', () => {
    expect(config.forHost('node-1')).toEqual({
      user: 'deploy',
      port: '22',
      identityFiles: ['~/.ssh/cluster_ed25519', '~/.ssh/%r_rsa'],
      proxyJump: 'bastion',
      userKnownHostsFile: '~/.ssh/cluster_known_hosts',
    });
    expect(config.forHost('bastion')).toMatchObject({ hostName: '192.0.2.10', user: 'ops', port: '2200' });
  });

  it('never runs Match exec', () => {
    expect(config.forHost('other').user).toBe('fallback');
  });
});

describe('parseProxyJump', () => {
  it('parses a chain, resolving each hop through ssh_config', () => {
    expect(parseProxyJump('bastion,admin@jump.example:2022, ssh://root@[2001:db8::1]:23', config)).toEqual([
      { host: '192.0.2.10', port: 2200, user: 'ops' },
      { host: 'jump.example', port: 2022, user: 'admin' },
      { host: '2001:db8::1', port: 23, user: 'root' },
    ]);
  });

  it('none is no jump', () => {
    expect(parseProxyJump('none', config)).toEqual([]);
    expect(parseProxyJump(undefined, config)).toEqual([]);
  });

  it('refuses a malformed hop', () => {
    expect(() => parseProxyJump('bastion:99999', config)).toThrow("ProxyJump hop 'bastion:99999' has an invalid port '99999'");
    expect(() => parseProxyJump('@host', config)).toThrow('is not [user@]host[:port]');
  });
});

describe('expandSshTokens', () => {
  it('expands ~ and tokens', () => {
    const values = { home: '/home/me', localUser: 'me', host: '10.0.0.1', original: 'node-1', user: 'root', port: 22 };
    expect(expandSshTokens('~/.ssh/%r@%h:%p-%n-%u-%d-%%', values)).toBe('/home/me/.ssh/root@10.0.0.1:22-node-1-me-/home/me-%');
  });
});
