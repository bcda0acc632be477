// The coverage map: the community's outline and its grid cells as colored
// rectangles, each with its mark (how many needs lack help, ✓, +) written in
// it, so the map reads on a blank background when tiles cannot load and
// without telling colors apart. A `use:` action like map.ts's; loaded only
// with the coverage page, so the main bundle does not carry it.
import L from 'leaflet';
import { boundsOf, LEVEL_COLOR, type Level } from './coverage';
import { reportingTiles, type TileSource } from './map';

export interface DrawnCell {
  /** [west, south, east, north] */
  bbox: number[];
  level: Level;
  mark: string;
  /** Plain text for the cell's popup, one line each. */
  lines: string[];
}

export interface CoverageMapOptions {
  boundary: { type: string; coordinates: unknown };
  cells: DrawnCell[];
  tiles: TileSource;
  onTilesFailing(failing: boolean): void;
}

/** Below this many pixels a cell is too small for its mark to be read: the marks are hidden. */
const MIN_MARK_PX = 22;

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The boundary's outer rings as Leaflet [lat, lng] rings (holes are not drawn: the outline is for orientation). */
function outlines(boundary: CoverageMapOptions['boundary']): L.LatLngExpression[][] {
  const polygons = (boundary.type === 'Polygon' ? [boundary.coordinates] : boundary.coordinates) as number[][][][];
  return polygons.map((rings) => rings[0]!.map(([lng, lat]) => [lat!, lng!] as L.LatLngTuple));
}

export function coverageAction(node: HTMLElement, options: CoverageMapOptions) {
  const map = L.map(node, { zoomControl: true, attributionControl: true });
  const tiles = reportingTiles(map, options.tiles, (failing) => options.onTilesFailing(failing));
  const outline = L.layerGroup().addTo(map);
  const cells = L.layerGroup().addTo(map);
  let boundary: CoverageMapOptions['boundary'] | null = null;
  let firstCell: number[] | null = null;

  const fit = () => {
    const b = boundsOf(options.boundary);
    if (b) {
      map.fitBounds(b, { padding: [8, 8] });
    } else {
      map.setView([0, 0], 2);
    }
  };

  /** Marks show only where a cell is wide enough on screen to hold one. */
  const sizeMarks = () => {
    if (!firstCell) {
      return;
    }
    const [w, s, e] = firstCell as [number, number, number, number];
    const px = map.latLngToContainerPoint([s, e]).x - map.latLngToContainerPoint([s, w]).x;
    node.classList.toggle('marks-hidden', px < MIN_MARK_PX);
  };

  const draw = (next: CoverageMapOptions) => {
    if (next.boundary !== boundary) {
      boundary = next.boundary;
      outline.clearLayers();
      L.polygon(outlines(next.boundary), { className: 'coverage-boundary', interactive: false, fill: false, weight: 3, color: '#263238', dashArray: '8 6' }).addTo(outline);
    }
    cells.clearLayers();
    firstCell = next.cells[0]?.bbox ?? null;
    // Cells lie on a grid of their own and may reach past the outline (5 km ones do): all must be in sight.
    const b = boundsOf(next.boundary);
    const all = b ? L.latLngBounds(b) : null;
    for (const cell of next.cells) {
      const [w, s, e, n] = cell.bbox as [number, number, number, number];
      const bounds = L.latLngBounds([s, w], [n, e]);
      all?.extend(bounds);
      L.rectangle(bounds, {
        className: `coverage-cell level-${cell.level}`,
        color: '#1b1b1b',
        weight: 2,
        opacity: 0.9,
        fillColor: LEVEL_COLOR[cell.level],
        fillOpacity: 0.6,
      })
        .bindPopup(cell.lines.map(escapeHtml).join('<br>'))
        .addTo(cells);
      // The mark is drawn, not a control: the rectangle beneath takes the tap.
      L.marker(bounds.getCenter(), {
        icon: L.divIcon({ html: `<span class="mark glyph level-${cell.level}" aria-hidden="true">${escapeHtml(cell.mark)}</span>`, className: 'coverage-mark', iconSize: [28, 28], iconAnchor: [14, 14] }),
        interactive: false,
        keyboard: false,
      }).addTo(cells);
    }
    if (all && next.cells.length > 0 && !map.getBounds().contains(all)) {
      map.fitBounds(all, { padding: [8, 8] });
    }
    sizeMarks();
  };

  fit();
  draw(options);
  map.on('zoomend', sizeMarks);
  const resized = new ResizeObserver(() => map.invalidateSize({ pan: false }));
  resized.observe(node);

  return {
    update(next: CoverageMapOptions) {
      const refit = next.boundary !== options.boundary;
      options = next;
      draw(next);
      if (refit) {
        fit();
      }
    },
    destroy() {
      resized.disconnect();
      tiles.off();
      map.remove();
    },
  };
}
