// `use:tilePreview`: the map's first tiles drawn in its box before the map
// itself (lib/tiles.ts says which and where).
import { mostInSight, type PreviewTile, previewTiles, TILE, uncovered, type View } from './tiles';

export interface PreviewOptions {
  view: View;
  tileUrl: string;
  /** The id of the element over the map's foot or side (the sheet): the tiles under it are left to the map. */
  cover: string;
  /** The map has drawn its own tiles (or moved): the preview goes. */
  done: boolean;
}

/**
 * `use:tilePreview`: draws the first screen's tiles in `node` (the map's
 * box, beneath the map) until `done`. A tile that fails is dropped (the map
 * says when tiles are missing).
 */
export function tilePreview(node: HTMLElement, options: PreviewOptions) {
  let shown = '';
  const draw = (o: PreviewOptions) => {
    const key = o.done ? 'done' : `${o.view.lat},${o.view.lng},${o.view.zoom},${o.tileUrl}`;
    if (key === shown) {
      return;
    }
    shown = key;
    node.replaceChildren();
    if (o.done) {
      return;
    }
    const map = node.getBoundingClientRect();
    const visible = uncovered(map, node.ownerDocument.getElementById(o.cover)?.getBoundingClientRect() ?? null);
    const tiles = previewTiles(o.view, node.clientWidth, node.clientHeight, visible, o.tileUrl, devicePixelRatio > 1);
    const add = (tile: PreviewTile, settled?: () => void) => {
      const img = document.createElement('img');
      img.alt = '';
      img.crossOrigin = ''; // as the map's tile layer asks (crossOrigin: true), so its requests find these in the cache
      img.width = TILE;
      img.height = TILE;
      img.style.left = `${tile.left}px`;
      img.style.top = `${tile.top}px`;
      img.onload = () => settled?.();
      img.onerror = () => {
        img.remove();
        settled?.();
      };
      img.src = tile.url;
      node.append(img);
    };
    // The tile most in sight comes alone, and the rest once it is on the
    // screen: on a slow line it has the bandwidth to itself, and the first
    // screen is whole (the largest thing on it drawn) a few tiles' worth of
    // bytes sooner. Nothing later is larger, so nothing replaces it as such.
    const first = mostInSight(tiles, node.clientWidth, node.clientHeight);
    if (first) {
      let rest = false;
      add(first, () => {
        if (rest) {
          return;
        }
        rest = true;
        // After the frame that draws it (a frame's callbacks run before its paint).
        requestAnimationFrame(() =>
          setTimeout(() => {
            if (shown === key) {
              tiles.filter((t) => t !== first).forEach((t) => add(t));
            }
          }),
        );
      });
    }
  };
  draw(options);
  return {
    update: draw,
    destroy() {
      node.replaceChildren();
    },
  };
}
