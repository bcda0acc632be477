DROP INDEX "communities_boundary_gix";--> statement-breakpoint
CREATE INDEX "communities_boundary_geom_gix" ON "communities" USING gist (("boundary"::geometry));--> statement-breakpoint
CREATE INDEX "posts_location_geom_gix" ON "posts" USING gist (("location"::geometry));