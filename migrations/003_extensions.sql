-- pgcrypto gives hmac(): staging replaces applicants' personal data by a keyed HMAC-SHA256.
-- A trusted extension: the database owner (motcua_owner, who runs migrations) may create it.
create extension if not exists pgcrypto;
