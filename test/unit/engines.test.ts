// The README says which Node.js runs Aidmap, package.json's `engines` says
// it too, and every package the lock file installs must accept that version:
// otherwise `npm install` warns (EBADENGINE) or, worse, a dependency fails at
// run time on the Node.js the README promised.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import semver from 'semver';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } };
const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { version?: string; engines?: { node?: string } | string[]; optional?: boolean; os?: string[] }>;
};

describe('the Node.js version', () => {
  const lowest = semver.minVersion(pkg.engines.node)!.version;

  it('is the one the README names', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const [major, minor] = lowest.split('.');
    expect(readme).toContain(`Node.js ${major}.${minor} or newer`);
  });

  it('is accepted by every installed package', () => {
    const refusing = Object.entries(lock.packages)
      .filter(([path, p]) => path !== '' && p.engines && !Array.isArray(p.engines) && p.engines.node)
      // Platform binaries for other systems are never installed here.
      .filter(([, p]) => !(p.optional && p.os && !p.os.includes(process.platform)))
      .filter(([, p]) => !semver.satisfies(lowest, (p.engines as { node: string }).node))
      .map(([path, p]) => `${path.replace(/^.*node_modules\//, '')}@${p.version} wants node ${(p.engines as { node: string }).node}`);
    expect(refusing, `package.json promises Node.js ${lowest}`).toEqual([]);
  });
});
