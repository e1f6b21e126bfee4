import { hashKeys } from '../world/index.js';

/** Deterministic ids, names and timestamps in Prefect's formats. */

/** A UUID (version-4 shaped) derived from the keys: the same keys always give the same id. */
export function uuidFrom(...keys: readonly (string | number)[]): string {
  const hex = [1, 2, 3, 4]
    .map((i) =>
      hashKeys(...keys, i)
        .toString(16)
        .padStart(8, '0'),
    )
    .join('');
  const variant = (8 + (parseInt(hex[16] ?? '0', 16) & 3)).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

const ADJECTIVES = [
  'amber',
  'arrogant',
  'azure',
  'bold',
  'brave',
  'bronze',
  'calm',
  'cerulean',
  'clever',
  'cobalt',
  'crimson',
  'daring',
  'deft',
  'eager',
  'emerald',
  'fervent',
  'gentle',
  'glossy',
  'golden',
  'heavy',
  'icy',
  'jolly',
  'keen',
  'lilac',
  'lucky',
  'mellow',
  'nimble',
  'olive',
  'pompous',
  'quiet',
  'rustic',
  'scarlet',
  'silver',
  'smooth',
  'sturdy',
  'tan',
  'uber',
  'vague',
  'wise',
  'zealous',
];
const ANIMALS = [
  'albatross',
  'badger',
  'beagle',
  'bison',
  'caracal',
  'chameleon',
  'cormorant',
  'coyote',
  'dingo',
  'dogfish',
  'falcon',
  'ferret',
  'flamingo',
  'gecko',
  'gibbon',
  'heron',
  'ibex',
  'jackal',
  'kangaroo',
  'kittiwake',
  'lemur',
  'lynx',
  'marmot',
  'mongoose',
  'narwhal',
  'ocelot',
  'otter',
  'pelican',
  'quail',
  'raccoon',
  'seal',
  'skink',
  'tapir',
  'toucan',
  'uakari',
  'vulture',
  'walrus',
  'wombat',
  'yak',
  'zebu',
];

/** A flow run name like Prefect's generated slugs (`emerald-kangaroo`). */
export function runSlug(...keys: readonly (string | number)[]): string {
  const h = hashKeys(...keys, 'slug');
  return `${ADJECTIVES[h % ADJECTIVES.length]}-${ANIMALS[Math.floor(h / ADJECTIVES.length) % ANIMALS.length]}`;
}

/** `2026-03-11T12:00:00.123000Z`: how Prefect 3 serializes datetimes (always microseconds, UTC). */
export function prefectTime(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 23)}000Z`;
}

export function prefectTimeOrNull(ms: number | null | undefined): string | null {
  return ms === null || ms === undefined ? null : prefectTime(ms);
}

/** Python's repr() of a str: single quotes unless the text contains a single quote and no double quote. */
export function pyRepr(text: string): string {
  const escaped = text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\t/g, '\\t');
  if (escaped.includes("'") && !escaped.includes('"')) return `"${escaped}"`;
  return `'${escaped.replace(/'/g, "\\'")}'`;
}
