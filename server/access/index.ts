// Who may see and do what: blocks, accounts' standing, roles in communities
// and the places they entitle to. Every feature, the outbox and the hub ask
// here; this module imports nothing above db/ and http/.
export * from './accounts';
export * from './blocks';
export * from './places';
export * from './roles';
