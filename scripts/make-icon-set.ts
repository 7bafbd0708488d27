/**
 * `npm run icons` — a colour retrieval set with many labels from the icon themes Debian installs: one label per
 * freedesktop icon name ("folder", "user-trash", "firefox"), one image per theme that draws it (Papirus, Breeze,
 * Oxygen, Tango, …). Finding the same icon across styles is cross-domain product search in miniature: a shape and
 * a meaning drawn in many hands. Not shipped (the themes' licences differ): rebuild it with
 *
 *   apt-get install oxygen-icon-theme breeze-icon-theme papirus-icon-theme numix-icon-theme faenza-icon-theme \
 *     moka-icon-theme paper-icon-theme elementary-xfce-icon-theme mate-icon-theme tango-icon-theme gnome-icon-theme \
 *     deepin-icon-theme suru-icon-theme faba-icon-theme obsidian-icon-theme gnome-icon-theme-gartoon lxde-icon-theme \
 *     elementary-icon-theme
 *   npm run icons -- [--out datasets/icons] [--min-themes 5] [--size 96]
 *
 * Each (theme, name) gives its scalable SVG rendered at --size, or its largest PNG of at least 32 px; symbolic
 * (monochrome) icons are skipped and transparency is flattened onto white. Names that share an identical image
 * are aliases of one icon and become one label; within a label each image is kept once (themes copy each other)
 * and each theme once. Labels with fewer than --min-themes images are dropped. The folder per label is then converted by the app's own `convert` (label-disjoint split, 40 % of
 * labels held out for validation, 1-vs-rest).
 */
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { forEachBounded } from '../main/dataset/files';
import { appRoot } from '../main/paths';

const THEMES = [
  'Adwaita',
  'Faba',
  'Faenza',
  'Moka',
  'Numix',
  'Obsidian',
  'Paper',
  'Papirus',
  'Tango',
  'bloom',
  'breeze',
  'elementary',
  'elementary-xfce',
  'gartoon',
  'gnome',
  'mate',
  'nuoveXT2',
  'oxygen',
  'suru',
];
const CONTEXTS = /(^|\/)(apps|places|mimetypes|mimes|devices|categories|emblems|actions|status|legacy|preferences)(\/|$)/;

const { values } = parseArgs({
  options: {
    out: { type: 'string', default: path.join(appRoot(), 'datasets', 'icons') },
    'min-themes': { type: 'string', default: '5' },
    size: { type: 'string', default: '96' },
    icons: { type: 'string', default: '/usr/share/icons' },
  },
});
const out = path.resolve(values.out!);
const minThemes = Number(values['min-themes']);
const size = Number(values.size);

/** The pixel size a theme folder names (48x48, 48, scalable → Infinity), or null for folders of neither. */
function folderSize(rel: string): number | null {
  if (/(^|\/)scalable(\/|$)/.test(rel)) return Number.POSITIVE_INFINITY;
  const m = /(^|\/)(\d+)(x\d+)?(@2x)?(\/|$)/.exec(rel);
  return m ? Number(m[2]) : null;
}

/** name → the file a theme draws it best with (SVG first, else its largest PNG of ≥ 32 px). */
function themeIcons(dir: string): Map<string, { file: string; size: number }> {
  const best = new Map<string, { file: string; size: number }>();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() || e.isSymbolicLink()) {
        const ext = path.extname(e.name);
        if (ext !== '.svg' && ext !== '.png') continue;
        const name = e.name.slice(0, -ext.length);
        if (name.endsWith('-symbolic') || name.includes('symbolic')) continue;
        const rel = path.relative(dir, p);
        if (!CONTEXTS.test(rel) || rel.includes('symbolic')) continue;
        const s = folderSize(rel);
        if (s === null || s < 32) continue;
        if (!existsSync(p)) continue; // a dangling link
        const had = best.get(name);
        if (!had || s > had.size) best.set(name, { file: p, size: s });
      }
    }
  };
  walk(dir);
  return best;
}

const t0 = performance.now();
const byName = new Map<string, { theme: string; file: string }[]>();
for (const theme of THEMES) {
  const dir = path.join(values.icons!, theme);
  if (!existsSync(dir)) {
    console.warn(`skipping ${theme}: ${dir} is not installed`);
    continue;
  }
  for (const [name, f] of themeIcons(dir)) (byName.get(name) ?? byName.set(name, []).get(name)!).push({ theme, file: f.file });
}
const candidates = [...byName].filter(([, files]) => files.length >= minThemes);
console.log(`${byName.size} icon names in ${THEMES.length} themes; ${candidates.length} drawn by ${minThemes} or more`);

// Render every candidate once; an image's digest is its pixels after rendering.
type Drawn = { name: string; theme: string; png: Buffer; digest: string };
const drawn: Drawn[] = [];
await forEachBounded(candidates.length, 4, async (k) => {
  const [name, files] = candidates[k]!;
  for (const f of files) {
    try {
      if (statSync(f.file).size > 2 ** 21) continue;
      const png = await sharp(f.file, { density: 192, limitInputPixels: 2 ** 24 })
        .resize(size, size, { fit: 'contain', background: '#ffffff' })
        .flatten({ background: '#ffffff' })
        .removeAlpha()
        .png()
        .toBuffer();
      const digest = createHash('sha1')
        .update(await sharp(png).raw().toBuffer())
        .digest('hex');
      drawn.push({ name, theme: f.theme, png, digest });
    } catch {
      // An SVG librsvg cannot draw: that theme's image is left out.
    }
  }
});

// Names that share an identical image are one icon under aliases (address-book-new and addressbook): one label,
// not two labels a retrieval model is punished for confusing.
const parent = new Map<string, string>();
const find = (n: string): string => {
  const p = parent.get(n) ?? n;
  if (p === n) return n;
  const root = find(p);
  parent.set(n, root);
  return root;
};
const firstByDigest = new Map<string, string>();
for (const d of drawn) {
  const other = firstByDigest.get(d.digest);
  if (other === undefined) firstByDigest.set(d.digest, d.name);
  else if (find(other) !== find(d.name)) parent.set(find(d.name), find(other));
}
const groups = new Map<string, Drawn[]>();
for (const d of drawn) (groups.get(find(d.name)) ?? groups.set(find(d.name), []).get(find(d.name))!).push(d);

const images = path.join(out, 'images');
rmSync(images, { recursive: true, force: true });
let written = 0;
let labels = 0;
for (const members of groups.values()) {
  // The label is the alias drawn most often (alphabetical among equals); one image per theme, each image once.
  const counts = new Map<string, number>();
  for (const d of members) counts.set(d.name, (counts.get(d.name) ?? 0) + 1);
  const label = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]![0];
  const themes = new Set<string>();
  const digests = new Set<string>();
  const kept = members
    .sort((a, b) => (a.name === label ? 0 : 1) - (b.name === label ? 0 : 1) || a.name.localeCompare(b.name))
    .filter((d) => {
      if (themes.has(d.theme) || digests.has(d.digest)) return false;
      themes.add(d.theme);
      digests.add(d.digest);
      return true;
    });
  if (kept.length < minThemes) continue;
  const dir = path.join(images, label);
  mkdirSync(dir, { recursive: true });
  for (const d of kept) await writeFile(path.join(dir, `${d.theme}.png`), d.png);
  written += kept.length;
  labels++;
}
console.log(`${written} images of ${labels} labels (aliases merged) in ${images} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);

const csv = path.join(out, 'df.csv');
const r = spawnSync(
  process.execPath,
  [path.join(appRoot(), 'bin', 'metric-studio.mjs'), 'convert', images, '--out', csv, '--val-fraction', '0.4', '--seed', '0', '--force'],
  { stdio: 'inherit' },
);
process.exit(r.status ?? 1);
