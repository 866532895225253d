export { Fleet, type FleetUpOptions, type FleetRecord, checkPrerequisites } from './fleet.js';
export { FleetNode, type FleetNodeRecord, type NodeExecResult } from './node.js';
export { useFleet, type FleetHandle } from './fixture.js';
export type { NodeSeed, SeedFile } from './seed.js';
export { PROFILES, type ProfileName } from './profiles.js';
export { fleetHost } from './hosts.js';
