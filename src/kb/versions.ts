/** Version helpers for the rules: semver coerced from what tools print. */
import semver from 'semver';

/** `v1.27.16`, `1.6.20~ds1-1+deb12u3`, `2:1.7.24-1`, `containerd://2.0.2` -> a semver, or undefined. */
export function coerce(version: string | undefined): string | undefined {
  if (version === undefined) return undefined;
  const text = version.replace(/^[a-z-]+:\/\//, '').replace(/^[0-9]+:(?=[0-9])/, '');
  return semver.coerce(text)?.version;
}

export function atLeast(version: string | undefined, min: string): boolean {
  const v = coerce(version);
  return v !== undefined && semver.gte(v, min);
}

export function below(version: string | undefined, bound: string): boolean {
  const v = coerce(version);
  return v !== undefined && semver.lt(v, bound);
}

/** The minor version: 1.27.16 -> 27 (major 1 assumed, as for Kubernetes). */
export function minorOf(version: string | undefined): number | undefined {
  const v = coerce(version);
  return v === undefined ? undefined : semver.minor(v);
}

/** `1.30.6-1.1` -> `1.30.6`: the upstream version of a distribution package's version. */
export function upstreamOf(version: string): string {
  return coerce(version) ?? version;
}
