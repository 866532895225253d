import { describe, expect, it } from 'vitest';
import { closestMatch, didYouMean, editDistance } from '../../src/playbook/input/suggest.js';

describe('editDistance', () => {
  it('counts a transposition as one edit', () => {
    expect(editDistance('wehn', 'when')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
  });
});

describe('closestMatch', () => {
  const stepKinds = ['command', 'file.content', 'file.line', 'systemd.service'];

  it.each([
    ['wehn', ['id', 'name', 'uses', 'with', 'when'], 'when'],
    ['stoped', ['started', 'stopped', 'restarted'], 'stopped'],
    ['target_verison', ['target_version', 'package'], 'target_version'],
    ['serial_first', ['batch', 'serialFirst'], 'serialFirst'],
    ['Command', stepKinds, 'command'],
    ['systemd.stopp', stepKinds, 'systemd.service'],
    ['file.lien', stepKinds, 'file.line'],
    ['control-plane', ['kube_control_plane', 'kube_node', 'etcd'], 'kube_control_plane'],
  ])('%s -> %s', (word, candidates, expected) => {
    expect(closestMatch(word, candidates)).toBe(expected);
  });

  it('suggests nothing far away', () => {
    expect(closestMatch('banana', stepKinds)).toBeUndefined();
    expect(closestMatch('on', ['id', 'name'])).toBeUndefined();
    expect(didYouMean('zzz', [])).toBe('');
  });

  it('words the hint', () => {
    expect(didYouMean('wehn', ['when'])).toBe(" (did you mean 'when'?)");
  });
});
