import type { TargetDescription } from '@loopgate/contracts';

/** Where the generated catalogue lives, from the repository's root. */
export const CATALOGUE_FILE = 'contracts/src/target-catalogue.ts';

/**
 * The source of `contracts/src/target-catalogue.ts`: every registered target's description, by
 * kind, for the palette, the console and the rules to read without the gateway's code. Generated
 * (`npm run generate:targets`); a unit test fails when the committed file differs from it.
 */
export function renderCatalogue(descriptions: readonly TargetDescription[]): string {
  const kinds = descriptions.map((d) => d.kind);
  const byKind = Object.fromEntries(descriptions.map((d) => [d.kind, d]));
  return [
    '// Generated from server/src/targets/<kind>/description.ts by `npm run generate:targets`. Do not edit:',
    '// change the description and generate again (a unit test fails while this file is out of date).',
    "import type { TargetDescription } from './targets';",
    '',
    '/** The kinds of system the gateway can write to: one folder each under server/src/targets. */',
    `export const TARGET_KINDS = ${JSON.stringify(kinds)} as const;`,
    'export type TargetKind = (typeof TARGET_KINDS)[number];',
    '',
    '/** Every target kind as its description declares it: actions, their fields, capabilities, help. */',
    `export const TARGET_CATALOGUE: Readonly<Record<TargetKind, TargetDescription>> = ${JSON.stringify(byKind)};`,
    '',
  ].join('\n');
}
