/* global module */
// Which way imports may go (issue 14): run by `npm run lint` (depcruise).
// server/ is a stack of layers; a folder imports its own layer or lower
// ones, never a higher one, so no two folders depend on each other. db/
// imports nothing from server/; web/ imports only the shared contract.
/** server/'s layers, lowest first; each entry is a list of paths (folders or files). */
const LAYERS = [
  ['server/contract'],
  ['server/clock.ts', 'server/config.ts', 'server/geo', 'server/assign', 'server/http'],
  ['server/plugins', 'server/limits', 'server/queue', 'server/mail', 'server/push'],
  ['server/access'],
  ['server/auth'],
  ['server/notifications'],
  ['server/live'],
  ['server/posts'],
  ['server/places'],
  ['server/matching'],
  ['server/matches'],
  ['server/safety'],
  ['server/moderation'],
  ['server/communities'],
  ['server/calendar', 'server/hygiene', 'server/account'],
  ['server/app.ts', 'server/main.ts', 'server/health.ts', 'server/migrate.ts', 'server/demo'],
];

const pattern = (paths) => `^(${paths.map((p) => p.replace(/\./g, '\\.') + (p.endsWith('.ts') ? '$' : '/')).join('|')})`;

const layerRules = LAYERS.slice(0, -1).map((layer, i) => ({
  name: `layer-${i}-${layer[0].replace('server/', '').replace('.ts', '')}`,
  comment: `${layer.join(', ')} may not import a higher layer (${LAYERS.slice(i + 1).flat().join(', ')}): lower modules know nothing of the features above them.`,
  severity: 'error',
  from: { path: pattern(layer) },
  to: { path: pattern(LAYERS.slice(i + 1).flat()) },
}));

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'no-cycles',
      comment: 'No module reaches itself through its imports.',
      severity: 'error',
      from: { path: '^(server|db|web/src)/' },
      to: { circular: true },
    },
    {
      name: 'db-is-below-server',
      comment: 'db/ (schema, migrations, the connection) imports nothing from server/.',
      severity: 'error',
      from: { path: '^db/' },
      to: { path: '^server/' },
    },
    {
      name: 'web-imports-only-the-contract',
      comment: 'The web app shares server/contract (wire types and the small pure helpers both sides use) and nothing else of the server.',
      severity: 'error',
      from: { path: '^web/' },
      to: { path: '^(server|db)/', pathNot: '^server/contract/' },
    },
    {
      name: 'contract-is-self-contained',
      comment: 'server/contract is what server and web share: it imports only itself and db/ vocabulary.',
      severity: 'error',
      from: { path: '^server/contract/' },
      to: { path: '^server/', pathNot: '^server/contract/' },
    },
    {
      name: 'every-server-folder-has-a-layer',
      comment: 'A new folder in server/ must be given its place in LAYERS above.',
      severity: 'error',
      from: { path: '^server/' },
      to: { path: '^server/', pathNot: pattern(LAYERS.flat()) },
    },
  ],
  options: {
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|web/dist|test)/' },
    includeOnly: '^(server|db|web/src)/',
  },
};
