-- Uploaded photos are cleaned before they are stored (platform/images.py, issue 13
-- part 1): decoded, upright, re-encoded without EXIF/GPS, XMP or IPTC. Files stored before
-- that still carry their metadata: they are marked here, are not served, and
-- `jogo photos clean` re-encodes them (tenants/sharing/stored_photos.py). Rows written
-- from now on hold clean files only, hence the default.
ALTER TABLE report_attachments ADD COLUMN cleaned boolean NOT NULL DEFAULT false;
ALTER TABLE report_attachments ALTER COLUMN cleaned SET DEFAULT true;
ALTER TABLE shared_posts ADD COLUMN photo_cleaned boolean NOT NULL DEFAULT false;
ALTER TABLE shared_posts ALTER COLUMN photo_cleaned SET DEFAULT true;
