import { svelte } from '@sveltejs/vite-plugin-svelte';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

/**
 * The pages the map does not need come as chunks of their own (App.svelte
 * imports them on demand), so a first visit parses only the map. Their
 * files (scripts and styles: a page's CSS comes with its script) are named
 * in index.html inside a `<template>`, whose links the browser does not
 * fetch: the service worker, which caches every asset index.html names
 * when it installs (public/sw.js, assetsIn), keeps them for offline and
 * serves them from then on, while the first visit's slow connection carries
 * only the map's own script.
 */
function listPages(): Plugin {
  return {
    name: 'aidmap-list-pages',
    apply: 'build',
    transformIndexHtml: {
      order: 'post',
      handler(html, ctx) {
        const named = new Set([...html.matchAll(/(?:href|src)="\/(assets\/[^"]+)"/g)].map((m) => m[1]));
        const files = Object.values(ctx.bundle ?? {})
          .filter((c) => (c.type === 'chunk' && !c.isEntry) || (c.type === 'asset' && /\.(css|js)$/.test(c.fileName)))
          .map((c) => c.fileName)
          .filter((file) => !named.has(file))
          .sort();
        return [
          {
            tag: 'template',
            attrs: { id: 'aidmap-pages' },
            children: files.map((file) => ({ tag: 'link', attrs: { rel: 'prefetch', href: `/${file}` } })),
            injectTo: 'body' as const,
          },
        ];
      },
    },
  };
}

export default defineConfig({
  root,
  // vite-plugin-svelte looks for svelte.config.js in Vite's root (STACK.md, trap 4).
  plugins: [svelte({ configFile: `${root}svelte.config.js` }), listPages()],
  build: { outDir: 'dist', emptyOutDir: true },
  server: { proxy: { '/api': 'http://localhost:3000', '/ws': { target: 'ws://localhost:3000', ws: true } } },
});
