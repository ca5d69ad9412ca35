-- Where a good backup was copied off the machine (S3-compatible storage), or why it was not.
ALTER TABLE backups
    ADD COLUMN uploaded_at  timestamptz,
    ADD COLUMN upload_key   text,
    ADD COLUMN upload_error text;
