// `use:tilePreview`: the map's first tiles drawn in its box before the map
// itself (lib/tiles.ts says which and where).
import { previewTiles, TILE, uncovered, type View } from './tiles';

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
    for (const tile of previewTiles(o.view, node.clientWidth, node.clientHeight, visible, o.tileUrl, devicePixelRatio > 1)) {
      const img = document.createElement('img');
      img.alt = '';
      img.crossOrigin = ''; // as the map's tile layer asks (crossOrigin: true), so its requests find these in the cache
      img.width = TILE;
      img.height = TILE;
      img.style.left = `${tile.left}px`;
      img.style.top = `${tile.top}px`;
      img.onerror = () => img.remove();
      img.src = tile.url;
      node.append(img);
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
