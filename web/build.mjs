// Builds the web app into web/dist/ (served by `foryou serve`, see docs/design/web.md):
// src/player.js, src/dashboard.js and src/ads_manager.js (the Ads Manager) bundled and minified
// by esbuild, the HTML and CSS copied.
// Usage: node build.mjs [--watch]
import * as esbuild from 'esbuild';
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(fileURLToPath(import.meta.url));
const dist = join(root, 'dist');
rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });

const options = {
  entryPoints: {
    player: join(root, 'src/player.js'),
    dashboard: join(root, 'src/dashboard.js'),
    ads: join(root, 'src/ads_manager.js'),
  },
  bundle: true,
  minify: true,
  sourcemap: true,
  format: 'esm',
  target: ['chrome100', 'firefox100', 'safari15'],
  outdir: dist,
  loader: { '.css': 'css' },
  logLevel: 'warning',
};

for (const f of ['index.html', 'dashboard.html', 'ads.html', 'style.css']) cpSync(join(root, 'src', f), join(dist, f));
cpSync(join(root, 'node_modules/uplot/dist/uPlot.min.css'), join(dist, 'uPlot.min.css'));

if (process.argv.includes('--watch')) {
  const ctx = await esbuild.context(options);
  await ctx.watch();
  console.log('web: watching src/ ...');
} else {
  await esbuild.build(options);
  console.log(`web: built ${dist}`);
}
