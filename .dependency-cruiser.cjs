/* global module */
// Imports in src/ point down the layers of docs/architecture.md; `npm run check` fails otherwise.
// Layer 0 is the vocabulary, which imports nothing of Vox; each layer may import only layers below it
// (and its own folder). Tests are not cruised: they may import anything.
const layers = [
  ['vocabulary'],
  ['registry', 'render', 'store', 'queue', 'http'],
  ['backends'],
  ['delivery'],
  ['manage'],
  ['admin', 'activitypub', 'feedback', 'inbox', 'preference-center'],
  ['vox-api\\.ts'],
  ['vox\\.ts'],
  ['index\\.ts', 'cli', 'testing', 'frameworks'],
];
const folder = (names) => `^src/(${names.join('|')})(/|$)`;
const above = (i) => layers.slice(i + 1).flat();
const peers = (i, name) => layers[i].filter((other) => other !== name);

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'Imports must not form a circle.', from: {}, to: { circular: true } },
    ...layers.slice(0, -1).flatMap((names, i) =>
      names.map((name) => ({
        name: `layer-${name.replace('\\.ts', '')}`,
        severity: 'error',
        comment: `src/${name.replace('\\', '')} sits in layer ${i}: it may import only lower layers.`,
        from: { path: folder([name]) },
        to: { path: folder([...above(i), ...peers(i, name)]) },
      })),
    ),
  ],
  options: {
    includeOnly: '^src/',
    exclude: { path: '\\.test\\.ts$' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
