/** CRI-O configuration files as the packages ship them, for the crio tests. */
import { CRIO_PACKAGED_DROP_IN_CONTENT } from '../../../src/kb/crio-packaging.js';

/** What the CRI-O 1.29 package ships as crio.conf.d/10-crio.conf (runc, before the switch). */
export const PACKAGED_1_29 = `[crio.image]
signature_policy = "/etc/crio/policy.json"

[crio.runtime]
default_runtime = "runc"

[crio.runtime.runtimes.runc]
runtime_path = "/usr/libexec/crio/runc"
runtime_root = "/run/runc"
monitor_path = "/usr/libexec/crio/conmon"
`;

/** What the CRI-O 1.30 package ships: crun is the default, runc still defined (the knowledge base's copy). */
export const PACKAGED_1_30 = CRIO_PACKAGED_DROP_IN_CONTENT;
