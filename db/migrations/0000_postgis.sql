-- PostGIS must exist before any geography column (STACK.md, trap 2).
CREATE EXTENSION IF NOT EXISTS postgis;
