// Browser tests on PostgreSQL: the schema is migrated once into a template,
// and each test server's fresh database is a copy of it (CREATE DATABASE …
// TEMPLATE takes about a second; migrating from scratch takes several).
import postgres from 'postgres';
import { openDatabase } from '../../db';
import { databaseUrlFor } from '../global-setup';

export default async function setup() {
  const base = process.env.DATABASE_URL;
  if (!base) {
    return;
  }
  const template = `aidmap_e2etpl_${process.pid}`;
  const admin = postgres(base, { max: 1, onnotice: () => {} });
  await admin.unsafe(`DROP DATABASE IF EXISTS ${template}`);
  await admin.unsafe(`CREATE DATABASE ${template}`);
  const migrated = await openDatabase({ databaseUrl: databaseUrlFor(base, template), max: 1 });
  await migrated.close();
  // The forked test workers inherit it; startServer clones from it.
  process.env.E2E_TEMPLATE_DATABASE = template;
  return async () => {
    await admin.unsafe(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`);
    await admin.end();
  };
}
