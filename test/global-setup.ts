// Migrates one database per run; every test file then works on its own copy,
// so files run in parallel against a real database (the Immich pattern).
//  - DATABASE_URL set: a template database on that server; files clone it
//    with CREATE DATABASE … TEMPLATE.
//  - otherwise: an embedded PGlite + PostGIS, migrated once and dumped to a
//    tarball; files load it into a fresh in-memory PGlite.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import type { TestProject } from 'vitest/node';
import { openDatabase, openPglite } from '../db';

declare module 'vitest' {
  export interface ProvidedContext {
    runId: string;
    pgTemplate: string | null;
    pgliteTemplate: string | null;
  }
}

export function databaseUrlFor(base: string, database: string): string {
  const url = new URL(base);
  url.pathname = `/${database}`;
  return url.toString();
}

export default async function setup(project: TestProject) {
  const runId = `${process.pid}_${Date.now().toString(36)}`;
  project.provide('runId', runId);
  const baseUrl = process.env.DATABASE_URL;
  if (baseUrl) {
    const template = `aidmap_tpl_${runId}`;
    const admin = postgres(baseUrl, { max: 1, onnotice: () => {} });
    await admin.unsafe(`CREATE DATABASE ${template}`);
    const migrated = await openDatabase({ databaseUrl: databaseUrlFor(baseUrl, template), max: 1 });
    await migrated.close();
    project.provide('pgTemplate', template);
    project.provide('pgliteTemplate', null);
    return async () => {
      const dbs = await admin<{ datname: string }[]>`
        SELECT datname FROM pg_database WHERE datname LIKE ${`aidmap_%${runId}%`}`;
      for (const { datname } of dbs) {
        await admin.unsafe(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`);
      }
      await admin.end();
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'aidmap-test-'));
  const pg = await openPglite();
  const migrated = await openDatabase({ pglite: pg });
  const tarball = join(dir, 'template.tar');
  writeFileSync(tarball, Buffer.from(await (await pg.dumpDataDir('none')).arrayBuffer()));
  await migrated.close();
  await pg.close();
  project.provide('pgTemplate', null);
  project.provide('pgliteTemplate', tarball);
  return () => rmSync(dir, { recursive: true, force: true });
}
